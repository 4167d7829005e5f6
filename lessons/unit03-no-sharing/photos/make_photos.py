"""Make the synthetic sample photos of Unit 3 (run: python make_photos.py, from this folder).

Each photo is abstract shapes and a caption, with no people in it, and EXIF metadata like a
phone camera writes: camera "Demo Camera", the time it was taken (DateTimeOriginal) and, for
three of the four, GPS coordinates of a made-up spot in a public park in Viet Nam. The lesson
reads this metadata, strips it, and hashes the files. Re-running gives the same files.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.ExifTags import GPS, IFD, Base


def dms(value: float) -> tuple[float, float, float]:
    """Decimal degrees -> (degrees, minutes, seconds), as EXIF stores them."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)


# name: (caption, background, shape colour, (latitude, longitude) or None, DateTimeOriginal)
PHOTOS = {
    "sample-photo-1.jpg": ("Sample photo 1", "#8ecae6", "#ffb703", (21.0147, 105.8434), "2025:10:12 16:45:03"),
    "sample-photo-2.jpg": ("Sample photo 2", "#caffbf", "#3a86ff", (16.0662, 108.2455), "2025:10:19 07:30:41"),
    "sample-photo-3.jpg": ("Sample photo 3", "#ffd6a5", "#9b5de5", (10.7744, 106.6920), "2025:11:02 17:05:12"),
    "sample-photo-4.jpg": ("Sample photo 4", "#e9edc9", "#e76f51", None, "2025:11:09 09:12:00"),
}


def make(name, caption, background, colour, place, taken) -> None:
    image = Image.new("RGB", (320, 240), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 40, 150, 160), fill=colour)
    draw.rectangle((170, 70, 290, 190), outline=colour, width=8)
    draw.polygon([(60, 220), (160, 175), (260, 220)], fill="#ffffff")
    draw.text((12, 8), caption, fill="#1d3557", font=ImageFont.load_default(size=22))
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model], exif[Base.DateTime] = "Demo", "Demo Camera", taken
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = taken
    if place:
        gps = exif.get_ifd(IFD.GPSInfo)
        gps[GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[GPS.GPSLatitudeRef], gps[GPS.GPSLatitude] = "N", dms(place[0])
        gps[GPS.GPSLongitudeRef], gps[GPS.GPSLongitude] = "E", dms(place[1])
    image.save(Path(__file__).with_name(name), quality=80, exif=exif)


if __name__ == "__main__":
    for name, spec in PHOTOS.items():
        make(name, *spec)
