"""ganreport: build a static write-up site from GAN run folders (no torch needed)."""

__version__ = "0.1.0"
