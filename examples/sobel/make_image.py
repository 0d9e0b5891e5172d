#!/usr/bin/env python3
"""Writes shapes.pgm, the Sobel example's test image: a bright rectangle and a grey
disc on a dark background, 96 wide x 64 high (not square, so a swapped H/W shows),
binary PGM (P5, maxval 255). Standard library only; the output is deterministic."""
import os

W, H = 96, 64
px = bytearray()
for y in range(H):
    for x in range(W):
        v = 30                                         # background
        if 10 <= x < 42 and 14 <= y < 50:
            v = 220                                    # rectangle
        if (x - 68) ** 2 + (y - 32) ** 2 <= 18 ** 2:
            v = 140                                    # disc
        px.append(v)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'shapes.pgm')
with open(out, 'wb') as f:
    f.write(b'P5\n%d %d\n255\n' % (W, H) + bytes(px))
print('wrote', out)
