"""The frame server: a render served as seekable files (FUSE mount, HTTP with byte ranges)."""
