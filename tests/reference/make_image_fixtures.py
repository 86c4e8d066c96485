"""Writes the image fixtures that tests/test_image.cpp and tests/test_preprocess.cpp read.

Run: /usr/bin/python3 tests/reference/make_image_fixtures.py   (needs python3-numpy, python3-pil,
python3-opencv from Debian; the C++ tests need none of them). Writes tests/fixtures/image/.

Oracles:
- PIL's Image.resize(BILINEAR) is what torchvision's Resize does to a PIL image (112 path).
- cv2.remap(INTER_LINEAR, BORDER_CONSTANT 0) on float32 maps is what the official dense
  transforms (FaRL's blueprint TransformByMap) do; the maps below are computed the way the
  official pipeline computes them (float32 NumPy), in code written here from its description.
"""
import io
import os

import cv2
import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")


def synthetic_rgb(h, w, seed):
    """Gradients, hard edges and noise: exercises rounding, clamping and every filter tap."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    r = (xx * 255.0 / max(w - 1, 1))
    g = (yy * 255.0 / max(h - 1, 1))
    b = ((xx // 5 + yy // 7) % 2) * 255.0
    img = np.stack([r, g, b], axis=-1) * 0.6 + rng.uniform(0, 255, size=(h, w, 3)) * 0.4
    img[h // 3:h // 3 + 4, :, :] = [255, 0, 0]  # a saturated stripe: clamps in the second pass
    img[:, w // 2, :] = 0
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array))


def crop_matrix(box_x1y1x2y2, size, scale):
    """Box in boundary coordinates -> size x size crop (align_corners=False), then scaled by
    `scale` about the crop centre ((size-1)/2), all in float32 like the official matrices."""
    x1, y1, x2, y2 = box_x1y1x2y2
    ax, ay = size / (x2 - x1), size / (y2 - y1)
    crop = np.array([[ax, 0, -x1 * ax - 0.5], [0, ay, -y1 * ay - 0.5], [0, 0, 1]], np.float32)
    c = (size - 1) / 2.0
    about = np.array([[scale, 0, c - scale * c], [0, scale, c - scale * c], [0, 0, 1]], np.float32)
    return about @ crop


def rotation_matrix(angle, scale, src_center, dst_center):
    cs, sn = scale * np.cos(angle), scale * np.sin(angle)
    (fx, fy), (tx, ty) = src_center, dst_center
    return np.array([[cs, -sn, tx - cs * fx + sn * fy], [sn, cs, ty - sn * fx - cs * fy], [0, 0, 1]], np.float32)


def tanh_forward_map(matrix, out_h, out_w, warp_factor):
    """Output pixel (x, y) -> source pixel: undo the tanh warp in normalised crop coordinates,
    then apply inv(matrix). Returns float32 (out_h, out_w, 2)."""
    yy, xx = np.meshgrid(np.arange(out_h, dtype=np.float32), np.arange(out_w, dtype=np.float32), indexing="ij")
    pts = np.stack([xx, yy], axis=-1).reshape(-1, 2)
    if warp_factor > 0:
        size = np.array([out_w, out_h], np.float32)
        n = pts / size * 2 - 1
        hi, lo = n > 1 - warp_factor, n < -1 + warp_factor
        n[hi] = np.arctanh(np.clip((n[hi] - 1 + warp_factor) / warp_factor, -0.999, 0.999)) * warp_factor + 1 - warp_factor
        n[lo] = np.arctanh(np.clip((n[lo] + 1 - warp_factor) / warp_factor, -0.999, 0.999)) * warp_factor - 1 + warp_factor
        pts = (n + 1) / 2 * size
    homo = np.concatenate([pts, np.ones((pts.shape[0], 1), np.float32)], axis=1)
    src = homo @ np.linalg.inv(matrix).T
    return (src[:, :2] / src[:, 2:3]).astype(np.float32).reshape(out_h, out_w, 2)


def inverse_map(matrix, orig_h, orig_w):
    """Original-image pixel (x, y) -> crop pixel: matrix @ (x, y, 1) (no warp)."""
    yy, xx = np.meshgrid(np.arange(orig_h, dtype=np.float32), np.arange(orig_w, dtype=np.float32), indexing="ij")
    homo = np.stack([xx, yy, np.ones_like(xx)], axis=-1).reshape(-1, 3)
    dst = homo @ matrix.T
    return (dst[:, :2] / dst[:, 2:3]).astype(np.float32).reshape(orig_h, orig_w, 2)


def remap(image, xy):
    return cv2.remap(image, np.ascontiguousarray(xy[..., 0]), np.ascontiguousarray(xy[..., 1]), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def main():
    os.makedirs(OUT, exist_ok=True)
    src = synthetic_rgb(47, 61, seed=7)
    Image.fromarray(src).save(os.path.join(OUT, "synthetic_47x61.png"))
    save("synthetic_47x61.npy", src)

    # PIL bilinear resize: shrink (antialiased), enlarge, one-axis, extreme shrink.
    for h, w in [(112, 112), (15, 20), (47, 30), (80, 100), (5, 7), (30, 61)]:
        out = np.asarray(Image.fromarray(src).resize((w, h), Image.BILINEAR))
        save(f"pil_bilinear_{h}x{w}.npy", out)

    # Decoder checks: grey and RGBA PNGs (exact), a BMP (exact), a JPEG (decoders differ slightly).
    Image.fromarray(src[:, :, 1]).save(os.path.join(OUT, "grey_47x61.png"))
    rgba = np.concatenate([src, np.full((47, 61, 1), 128, np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "rgba_47x61.png"))
    Image.fromarray(src).save(os.path.join(OUT, "synthetic_47x61.bmp"))
    Image.fromarray(src).save(os.path.join(OUT, "synthetic_47x61.jpg"), quality=95)
    save("synthetic_47x61_jpg_pil.npy", np.asarray(Image.open(os.path.join(OUT, "synthetic_47x61.jpg")).convert("RGB")))

    # Dense-path warps (cv2.remap on float32 in [0, 1], as the official Normalize255 + TransformByMap).
    src01 = (src / 255.0).astype(np.float32)
    box = (5.25, 3.5, 52.75, 41.0)  # x1, y1, x2, y2 in boundary coordinates
    m_crop = crop_matrix(box, 32, 0.8)
    save("warp_crop_matrix.npy", m_crop)
    save("warp_crop_out.npy", remap(src01, tanh_forward_map(m_crop, 32, 32, 0.0)))
    m_rot = rotation_matrix(0.3, 0.7, ((61 - 1) / 2.0, (47 - 1) / 2.0), ((40 - 1) / 2.0, (36 - 1) / 2.0))
    save("warp_rot_matrix.npy", m_rot)
    save("warp_rot_out.npy", remap(src01, tanh_forward_map(m_rot, 36, 40, 0.0)))
    # tanh warp (LaPa's recipe, warp_factor 0.8): the sampling map itself is compared.
    save("warp_tanh_map.npy", tanh_forward_map(m_rot, 36, 40, 0.8))
    save("warp_tanh_out.npy", remap(src01, tanh_forward_map(m_rot, 36, 40, 0.8)))

    # Parsing logits back to the original image: bilinear remap of logits, then argmax.
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(32, 32, 5)).astype(np.float32)
    m_unwarp = crop_matrix((2.5, 1.25, 27.0, 22.75), 32, 0.8)  # a 24x30 "original image"
    back = remap(logits, inverse_map(m_unwarp, 24, 30))
    save("unwarp_matrix.npy", m_unwarp)
    save("unwarp_logits_in.npy", logits)
    save("unwarp_logits_out.npy", back)
    save("unwarp_labels.npy", np.argmax(back, axis=-1).astype(np.uint8))


if __name__ == "__main__":
    main()
