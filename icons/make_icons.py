#!/usr/bin/env python3
"""Draws ZeroClient's icon (a calm grey tile with a ring: the console's "zero" and a live status
dot) as RGBA PNGs in the sizes Tauri bundles, plus a Windows .ico. Pure Python, no imaging
library: `python3 icons/make_icons.py` rewrites them."""
import math, os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))

def pixel(x, y, n):
    # Coordinates in 0..1, sampled 4x4 per pixel for smooth edges.
    bg, ring, dot = (52, 58, 64), (214, 218, 222), (92, 184, 120)
    acc = [0.0, 0.0, 0.0, 0.0]
    for sy in range(4):
        for sx in range(4):
            u = (x + (sx + 0.5) / 4) / n
            v = (y + (sy + 0.5) / 4) / n
            # Rounded square, radius 0.2.
            qx, qy = max(abs(u - 0.5) - 0.3, 0), max(abs(v - 0.5) - 0.3, 0)
            if math.hypot(qx, qy) > 0.2:
                continue
            r = math.hypot(u - 0.5, v - 0.5)
            c = bg
            if 0.23 <= r <= 0.33:
                c = ring
            if math.hypot(u - 0.69, v - 0.31) <= 0.085:
                c = dot
            for i in range(3):
                acc[i] += c[i]
            acc[3] += 255
    k = 16
    a = acc[3] / k
    if a == 0:
        return (0, 0, 0, 0)
    return tuple(int(acc[i] / (acc[3] / 255)) for i in range(3)) + (int(a),)

def png(n):
    rows = b""
    for y in range(n):
        rows += b"\x00" + b"".join(bytes(pixel(x, y, n)) for x in range(n))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    # Colour type 6: 8-bit RGBA, which Tauri requires.
    ihdr = struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")

def ico(images):
    # ICO with PNG-encoded entries (Windows Vista and later).
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for n, blob in images:
        entries += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return head + entries + data

if __name__ == "__main__":
    sizes = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    blobs = {}
    for name, n in sizes.items():
        blobs[n] = png(n)
        open(os.path.join(HERE, name), "wb").write(blobs[n])
    open(os.path.join(HERE, "icon.ico"), "wb").write(ico([(32, blobs[32]), (256, blobs[256])]))
