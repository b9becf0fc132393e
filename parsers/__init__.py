"""Pure functions from bytes and text to typed records: .torrent files, magnet links,
feed items, hash lists, input files and magnet-list slices, release names, content profiles.

May import: ``common``. No warehouse, no network, no I/O beyond the input handed in.
"""
