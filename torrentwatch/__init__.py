"""torrentwatch: metadata-only monitoring of public BitTorrent metadata."""

__version__ = "0.1.0"
