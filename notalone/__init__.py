"""The `notalone` command: tools for curriculum authors and teachers around the widgets package."""
