"""Make the synthetic "screenshots" of Unit 5 (run: python make_screenshots.py, from this folder).

Each one is a tiny picture of a made-up chat between a fake giveaway account and "You", marked
"SYNTHETIC EXAMPLE". The lesson and the assignment hash them for an evidence log. Re-running
gives the same files.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # has Vietnamese letters; else Pillow's own font

# name: [(sender, time, text), ...]; sender "them" is the fake account, "me" is the student.
CHATS = {
    "screenshot-1.png": [("them", "10:02", "Congratulations! You won a new phone!"),
                         ("them", "10:03", "Send 50,000 VND for shipping to claim it."),
                         ("me", "10:05", "Is this real?")],
    "screenshot-2.png": [("them", "10:20", "Pay in 1 hour or we lock your game account"),
                         ("them", "10:21", "and tell everyone you cheated."),
                         ("me", "10:22", "Please stop.")],
    "screenshot-3.png": [("them", "10:30", "Don't tell your parents."),
                         ("them", "10:31", "Delete this chat now."),
                         ("me", "10:40", "(no reply)")],
}


def make(name: str, lines) -> None:
    size = 13
    font = ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size=size)
    image = Image.new("RGB", (360, 196), "#f4f6fb")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 26), fill="#264653")
    draw.text((8, 5), "LuckySpin_Gifts  ·  12/11/2025", fill="#ffffff", font=font)
    y = 34
    for sender, time, text in lines:
        left = sender == "them"
        width = int(draw.textlength(text, font=font)) + 16
        x = 8 if left else 352 - width
        draw.rounded_rectangle((x, y, x + width, y + 36), radius=8, fill="#ffffff" if left else "#cde7ff")
        draw.text((x + 8, y + 3), ("LuckySpin_Gifts" if left else "You") + "  " + time, fill="#6c757d", font=font)
        draw.text((x + 8, y + 18), text, fill="#1d3557", font=font)
        y += 44
    draw.text((200, 176), "SYNTHETIC EXAMPLE", fill="#c1121f", font=font)
    image.quantize(16).save(Path(__file__).with_name(name), optimize=True)


if __name__ == "__main__":
    for name, lines in CHATS.items():
        make(name, lines)
