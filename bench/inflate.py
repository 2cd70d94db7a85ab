#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# zlib alone: inflates every gzip layer of an archive in this one process (Python's zlib binding,
# 1 MiB at a time, output dropped), the bound for any reader of these layers.
#   bench/inflate.py ARCHIVE LAYER-LIST   (LAYER-LIST: one member path a line)
import sys
import tarfile
import zlib

archive, listing = sys.argv[1], sys.argv[2]
members = open(listing).read().split()
index = tarfile.open(archive)
total = 0
with open(archive, 'rb') as f:
    for name in members:
        member = index.getmember(name)
        f.seek(member.offset_data)
        left = member.size
        inflater = zlib.decompressobj(31)
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            total += len(inflater.decompress(chunk))
print(total)
