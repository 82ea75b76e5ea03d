"""The two string hashes Keras's ``Hashing`` (and multi-OOV lookups) use, in pure Python.

Keras hashes with TensorFlow's string ops:

* ``tf.strings.to_hash_bucket_fast``: FarmHash ``Fingerprint64`` (the
  ``farmhashna::Hash64`` variant) of the UTF-8 bytes, modulo the number of
  bins;
* ``tf.strings.to_hash_bucket_strong`` (when a ``salt`` is given):
  SipHash-2-4 keyed with the two salt integers, modulo the number of bins.

Both are written here from their published definitions so that layerwise
puts every value in the same bin as Keras without needing TensorFlow. The
unit tests check them against values recorded from TensorFlow 2.21.

Python integers are unbounded, so every step that wraps around in C is
masked back to 64 bits (``& _MASK``).

>>> fingerprint64(b"hello")
3786372426573024488
"""

import functools

_MASK = 0xFFFFFFFFFFFFFFFF
# Primes between 2**63 and 2**64 that FarmHash mixes with.
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _fetch64(data, offset):
    return int.from_bytes(data[offset:offset + 8], "little")


def _fetch32(data, offset):
    return int.from_bytes(data[offset:offset + 4], "little")


def _rotate(value, shift):
    """Rotate a 64-bit value right by ``shift`` bits."""
    if shift == 0:
        return value
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len_16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len_0_to_16(data, length):
    if length >= 8:
        mul = (_K2 + length * 2) & _MASK
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len_16(c, d, mul)
    if length >= 4:
        mul = (_K2 + length * 2) & _MASK
        a = _fetch32(data, 0)
        return _hash_len_16((length + (a << 3)) & _MASK, _fetch32(data, length - 4), mul)
    if length > 0:
        a, b, c = data[0], data[length >> 1], data[length - 1]
        y = a + (b << 8)
        z = length + (c << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_len_17_to_32(data, length):
    mul = (_K2 + length * 2) & _MASK
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    return _hash_len_16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_len_33_to_64(data, length):
    mul = (_K2 + length * 2) & _MASK
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_len_16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & _MASK
    return _hash_len_16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_hash_32(data, offset, a, b):
    """The 128-bit (two 64-bit halves) weak hash of 32 bytes with two seeds."""
    w = _fetch64(data, offset)
    x = _fetch64(data, offset + 8)
    y = _fetch64(data, offset + 16)
    z = _fetch64(data, offset + 24)
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


@functools.lru_cache(maxsize=65536)
def fingerprint64(data):
    """FarmHash ``Fingerprint64`` of a bytes object, as an unsigned 64-bit int.

    Cached: preprocessing hashes the same words over and over.
    """
    length = len(data)
    if length <= 16:
        return _hash_len_0_to_16(data, length)
    if length <= 32:
        return _hash_len_17_to_32(data, length)
    if length <= 64:
        return _hash_len_33_to_64(data, length)

    # Longer inputs: 64-byte blocks through a 56-byte state (v, w, x, y, z).
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v_lo = v_hi = w_lo = w_hi = 0
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((length - 1) // 64) * 64
    last64 = length - 64
    offset = 0
    while True:
        x = (_rotate((x + y + v_lo + _fetch64(data, offset + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v_hi + _fetch64(data, offset + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w_hi
        y = (y + v_lo + _fetch64(data, offset + 40)) & _MASK
        z = (_rotate((z + w_lo) & _MASK, 33) * _K1) & _MASK
        v_lo, v_hi = _weak_hash_32(data, offset, (v_hi * _K1) & _MASK, (x + w_lo) & _MASK)
        w_lo, w_hi = _weak_hash_32(data, offset + 32, (z + w_hi) & _MASK,
                                   (y + _fetch64(data, offset + 16)) & _MASK)
        z, x = x, z
        offset += 64
        if offset == end:
            break
    mul = (_K1 + ((z & 0xFF) << 1)) & _MASK
    offset = last64
    w_lo = (w_lo + ((length - 1) & 63)) & _MASK
    v_lo = (v_lo + w_lo) & _MASK
    w_lo = (w_lo + v_lo) & _MASK
    x = (_rotate((x + y + v_lo + _fetch64(data, offset + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v_hi + _fetch64(data, offset + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w_hi * 9) & _MASK
    y = (y + v_lo * 9 + _fetch64(data, offset + 40)) & _MASK
    z = (_rotate((z + w_lo) & _MASK, 33) * mul) & _MASK
    v_lo, v_hi = _weak_hash_32(data, offset, (v_hi * mul) & _MASK, (x + w_lo) & _MASK)
    w_lo, w_hi = _weak_hash_32(data, offset + 32, (z + w_hi) & _MASK,
                               (y + _fetch64(data, offset + 16)) & _MASK)
    z, x = x, z
    return _hash_len_16(
        (_hash_len_16(v_lo, w_lo, mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len_16(v_hi, w_hi, mul) + x) & _MASK,
        mul,
    )


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _MASK
    v1 = ((v1 << 13) | (v1 >> 51)) & _MASK
    v1 ^= v0
    v0 = ((v0 << 32) | (v0 >> 32)) & _MASK
    v2 = (v2 + v3) & _MASK
    v3 = ((v3 << 16) | (v3 >> 48)) & _MASK
    v3 ^= v2
    v0 = (v0 + v3) & _MASK
    v3 = ((v3 << 21) | (v3 >> 43)) & _MASK
    v3 ^= v0
    v2 = (v2 + v1) & _MASK
    v1 = ((v1 << 17) | (v1 >> 47)) & _MASK
    v1 ^= v2
    v2 = ((v2 << 32) | (v2 >> 32)) & _MASK
    return v0, v1, v2, v3


@functools.lru_cache(maxsize=65536)
def siphash64(data, key0, key1):
    """SipHash-2-4 of a bytes object keyed with two unsigned 64-bit ints."""
    v0 = key0 ^ 0x736F6D6570736575
    v1 = key1 ^ 0x646F72616E646F6D
    v2 = key0 ^ 0x6C7967656E657261
    v3 = key1 ^ 0x7465646279746573
    length = len(data)
    full = length - length % 8
    for offset in range(0, full, 8):
        m = _fetch64(data, offset)
        v3 ^= m
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= m
    # The last block: the remaining bytes, with the length's low byte on top.
    m = int.from_bytes(data[full:], "little") | ((length & 0xFF) << 56)
    v3 ^= m
    for _ in range(2):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
