"""Writes the tiny dataset fixtures under tests/fixtures/datasets/<name>/, each in the public
dataset's own layout (see faceptor/data/readers_*.h), for the reader tests.

    /usr/bin/python3 tests/reference/make_dataset_fixtures.py

Images are a few pixels of one flat colour (so a test can tell which file was read, even
through JPEG); label values are chosen by hand below and asserted by tests/test_data_readers.cpp.
"""
import os
import shutil

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "datasets")

CELEBA_ATTRS = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young").split()


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def flat(h, w, rgb):
    return Image.fromarray(np.tile(np.array(rgb, np.uint8), (h, w, 1)))


def save_jpg(p, h, w, rgb):
    flat(h, w, rgb).save(path(p), quality=95)


def save_png(p, array):
    Image.fromarray(np.asarray(array, np.uint8)).save(path(p))


def write(p, text):
    with open(path(p), "w") as f:
        f.write(text)


def celeba():
    names = ["000001.jpg", "000002.jpg", "000003.jpg"]
    rows = []
    for k, n in enumerate(names):
        values = ["-1"] * 40
        values[k] = "1"          # attribute k present in image k
        values[39] = "1"         # Young everywhere
        rows.append(n + "  " + " ".join(f"{v:>2}" for v in values))
        save_jpg(f"celeba/img_align_celeba/{n}", 6, 5, [(200, 30, 30), (30, 200, 30), (30, 30, 200)][k])
    write("celeba/list_attr_celeba.txt", "3\n" + " ".join(CELEBA_ATTRS) + " \n" + "\n".join(rows) + "\n")
    write("celeba/list_eval_partition.txt", "000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n")


def celebamask_hq():
    for i, rgb in enumerate([(250, 10, 10), (10, 250, 10), (10, 10, 250)]):
        save_jpg(f"celebamask_hq/CelebA-HQ-img/{i}.jpg", 16, 16, rgb)
    # hq 0 <- celeba 000005.jpg (train), hq 1 <- 000009.jpg (test), hq 2 <- 000002.jpg (val)
    write("celebamask_hq/CelebA-HQ-to-CelebA-mapping.txt",
          "idx         orig_idx    orig_file   \n0           4           000005.jpg\n"
          "1           8           000009.jpg\n2           1           000002.jpg\n")
    write("celebamask_hq/list_eval_partition.txt", "000002.jpg 1\n000005.jpg 0\n000007.jpg 0\n000009.jpg 2\n")
    skin = np.zeros((8, 8), np.uint8); skin[1:7, 1:7] = 255
    l_eye = np.zeros((8, 8), np.uint8); l_eye[2, 2] = 255
    hair = np.zeros((8, 8), np.uint8); hair[0:2, :] = 255; hair[2, 2] = 255   # hair overrides the eye at (2, 2)
    save_png("celebamask_hq/CelebAMask-HQ-mask-anno/0/00000_skin.png", skin)
    save_png("celebamask_hq/CelebAMask-HQ-mask-anno/0/00000_l_eye.png", l_eye)
    save_png("celebamask_hq/CelebAMask-HQ-mask-anno/0/00000_hair.png", hair)
    save_png("celebamask_hq/CelebAMask-HQ-mask-anno/0/00002_nose.png", np.full((8, 8), 255))


def lapa():
    for split, name, rgb in [("train", "a1", (220, 180, 150)), ("train", "b2", (100, 100, 100)), ("val", "c3", (5, 5, 5))]:
        save_jpg(f"lapa/{split}/images/{name}.jpg", 10, 12, rgb)
        label = np.zeros((10, 12), np.uint8); label[2:8, 3:9] = 1; label[3, 4] = 4; label[3, 7] = 5; label[0, :] = 10
        save_png(f"lapa/{split}/labels/{name}.png", label)
        pts = [(0.1 * i, 0.05 * i) for i in range(106)]
        write(f"lapa/{split}/landmarks/{name}.txt", "106\n" + "".join(f"{x:.2f} {y:.2f}\n" for x, y in pts))


def ibug300w():
    for sub, stem, ext in [("afw", "1051618982_1", "jpg"), ("lfpw/trainset", "image_0001", "png")]:
        img = flat(20, 24, (90, 60, 30))
        img.save(path(f"300w/{sub}/{stem}.{ext}"))
        pts = [(3.0 + (i % 17), 4.0 + i // 17 * 3.5) for i in range(68)]  # 1-based as in the release
        write(f"300w/{sub}/{stem}.pts",
              "version: 1\nn_points:  68\n{\n" + "".join(f"{x:.3f} {y:.3f}\n" for x, y in pts) + "}\n")


def wflw():
    lines = []
    for k, name in enumerate(["0--Parade/0_Parade_marchingband_1_116.jpg", "1--Handshaking/1_Handshaking_2.jpg"]):
        save_jpg(f"wflw/WFLW_images/{name}", 16, 20, (40 * (k + 1), 80, 120))
        coords = " ".join(f"{2 + (i % 14) * 0.5 + k:.6f} {3 + (i // 14) * 0.75:.6f}" for i in range(98))
        lines.append(f"{coords} 2 3 12 9 {k} 0 1 0 0 1 {name}")
    write("wflw/list_98pt_rect_attr_train.txt", "\n".join(lines) + "\n")


def rafdb():
    write("rafdb/EmoLabel/list_patition_label.txt", "train_00001.jpg 5\ntrain_00002.jpg 7\ntest_0001.jpg 1\n")
    for n, rgb in [("train_00001", (10, 10, 10)), ("train_00002", (120, 120, 120)), ("test_0001", (240, 240, 240))]:
        save_jpg(f"rafdb/Image/aligned/{n}_aligned.jpg", 8, 8, rgb)


def affectnet():
    write("affectnet/training.csv",
          "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal\n"
          '689/a.jpg,1,1,6,6,"1.0;2.0;3.0;4.0",1,0.78,-0.05\n'
          '689/b.jpg,1,1,6,6,"1.0;2.0;3.0;4.0",7,0.1,0.2\n'
          '392/c.jpg,1,1,6,6,"1.0;2.0;3.0;4.0",6,-0.5,0.6\n')
    for n, rgb in [("689/a.jpg", (200, 100, 0)), ("689/b.jpg", (0, 0, 0)), ("392/c.jpg", (0, 100, 200))]:
        save_jpg(f"affectnet/Manually_Annotated_Images/{n}", 8, 8, rgb)
    write("affectnet/label/train.txt", "x.jpg 3\ny.jpg 9\n")
    save_jpg("affectnet/data/x.jpg", 8, 8, (50, 50, 50))


def utkface():
    for n in ["25_0_1_20170116174525125.jpg.chip.jpg", "3_1_2_20161219140623097.jpg.chip.jpg", "100_1_0_2017.jpg"]:
        save_jpg(f"utkface/{n}", 8, 8, (128, 64, 32))


def identities():
    for person, files in [("alice", ["1.jpg", "2.jpg"]), ("bob", ["x.png"])]:
        for f in files:
            flat(7, 7, (10, 200, 10) if person == "alice" else (200, 10, 10)).save(path(f"identities/{person}/{f}"))


def lfw():
    write("lfw/pairs.txt", "2\t2\nAbel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\t3\n"
          "Abdel_Madi_Shabneh\t1\tDean_Barker\t1\nAbdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1\n"
          "Abel_Pacheco\t2\t3\nAlan_Ball\t1\t2\nAbdullah\t1\tGeorge_Bush\t12\nAdam\t2\tZoe\t3\n")


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    for make in [celeba, celebamask_hq, lapa, ibug300w, wflw, rafdb, affectnet, utkface, identities, lfw]:
        make()


if __name__ == "__main__":
    main()
