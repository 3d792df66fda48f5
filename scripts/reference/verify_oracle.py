"""Checks the PyTorch reference against the oracle cases (outputs of the official implementation).

usage: python3 scripts/reference/verify_oracle.py [CASE_DIR ...] [--json]
       (default: every case in ../shared/oracle). Exit 1 if any array is outside the oracle README's tolerance.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from april_gan import few_shot_map, load_april_gan, memory_bank, text_features, zero_shot  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402
from preprocess import decode_image, preprocess  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
VOCAB = os.path.join(SHARED, "clip", "bpe_simple_vocab_16e6.txt.gz")


class Golden:
    def __init__(self, case_dir):
        self.dir = os.path.join(case_dir, "golden")
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.params = self.manifest["params"]
        self.image_root = os.path.normpath(os.path.join(self.dir, self.params["image_root"]))

    def array(self, name):
        info = self.manifest["arrays"][name]
        dtype = "<f4" if info["dtype"] == "float32" else "<i4"
        return np.fromfile(os.path.join(self.dir, info["file"]), dtype=dtype).reshape(info["shape"])

    def image(self, relative):
        return os.path.join(self.image_root, relative)


class Report:
    def __init__(self):
        self.rows = []

    def check(self, group, name, ours, golden, kind, limit):
        ours = np.asarray(ours, dtype=np.float64)
        golden = np.asarray(golden, dtype=np.float64)
        if ours.shape != golden.shape:
            self.rows.append({"group": group, "name": name, "ok": False, "error": f"shape {ours.shape} vs {golden.shape}"})
            return
        diff = np.abs(ours - golden)
        max_abs = float(diff.max()) if diff.size else 0.0
        rel = max_abs / max(float(np.abs(golden).max()), 1e-30) if diff.size else 0.0
        row = {"group": group, "name": name, "max_abs": max_abs, "max_rel": rel, "kind": kind, "limit": limit}
        if kind == "rel":
            row["ok"] = rel <= limit
        elif kind == "abs":
            row["ok"] = max_abs <= limit
        elif kind == "exact":
            row["ok"] = max_abs == 0
        elif kind == "map":  # end to end: Pearson >= 0.999 and max abs <= limit
            row["pearson"] = float(np.corrcoef(ours.ravel(), golden.ravel())[0, 1])
            row["ok"] = row["pearson"] >= 0.999 and max_abs <= limit
        self.rows.append(row)


def verify_case(case_dir, report, tokenizer):
    golden = Golden(case_dir)
    p = golden.params
    name = os.path.basename(os.path.normpath(case_dir))
    size, layers, fs_layers = p["image_size"], p["features"], p["few_shot_features"]
    clip, adapter, _ = load_april_gan(os.path.join(case_dir, "model"), size, layers)
    mean, std = p["mean"], p["std"]
    load = lambda rel: preprocess(decode_image(golden.image(rel)), size, mean, std)  # noqa: E731

    report.check(f"{name} tokens", "tokens/sample", tokenizer(p["token_sample"]).numpy(), golden.array("tokens/sample"), "exact", 0)
    texts = {}
    for cls in p["classes"]:
        texts[cls] = text_features(clip, tokenizer, cls)
        report.check(f"{name} text_features", f"text_features/{cls}", texts[cls], golden.array(f"text_features/{cls}"), "rel", 1e-4)

    # memory banks from the reference shots' image files (end to end)
    memories = {}
    for cls in p["classes"]:
        shots = [load(r["image"]) for r in p["refs"] if r["class"] == cls]
        memories[cls] = memory_bank(clip, shots, fs_layers)
        for i, layer in enumerate(fs_layers):
            key = f"memory/{cls}/layer{layer}"
            report.check(f"{name} memory (from files)", key, memories[cls][i], golden.array(key), "rel", 1e-4)

    for n, case in enumerate(p.get("cases", golden.manifest["cases"])):
        cls = case["class"]
        golden_pixels = torch.from_numpy(golden.array(f"case{n}/pixels").copy()).unsqueeze(0)
        pixels = load(case["image"])
        report.check(f"{name} pixels", f"case{n}/pixels", pixels[0], golden_pixels[0], "abs", 0.02)

        # from the golden pixels, golden text features and golden memory: the model computation alone
        golden_text = torch.from_numpy(golden.array(f"text_features/{cls}").copy())
        zs = zero_shot(clip, adapter, golden_pixels, golden_text, layers)
        for i, layer in enumerate(layers):
            report.check(f"{name} tokens", f"case{n}/tokens/layer{layer}", zs["tokens"][i], golden.array(f"case{n}/tokens/layer{layer}"), "rel", 1e-4)
            report.check(
                f"{name} projected", f"case{n}/projected/layer{layer}", zs["projected"][i], golden.array(f"case{n}/projected/layer{layer}"), "rel", 1e-4
            )
        report.check(f"{name} image_features", f"case{n}/image_features", zs["image_features"], golden.array(f"case{n}/image_features"), "rel", 1e-4)
        report.check(f"{name} zero_shot_map", f"case{n}/zero_shot_map", zs["map"], golden.array(f"case{n}/zero_shot_map"), "abs", 1e-3)
        report.check(f"{name} scores", f"case{n}/zero_shot_score", zs["score"], case["zero_shot_score"], "abs", 1e-4)
        golden_memory = [torch.from_numpy(golden.array(f"memory/{cls}/layer{layer}").copy()) for layer in fs_layers]
        fs = few_shot_map(clip, golden_pixels, golden_memory, fs_layers)
        report.check(f"{name} few_shot_map", f"case{n}/few_shot_map", fs, golden.array(f"case{n}/few_shot_map"), "abs", 1e-3)
        report.check(f"{name} combined_map", f"case{n}/combined_map", zs["map"] + fs, golden.array(f"case{n}/combined_map"), "abs", 1e-3)
        report.check(f"{name} scores", f"case{n}/few_shot_max", fs.max(), case["few_shot_max"], "abs", 1e-4)
        report.check(f"{name} scores", f"case{n}/combined_max", (zs["map"] + fs).max(), case["combined_max"], "abs", 1e-4)

        # end to end from the image file, own text features and own memory
        e2e = zero_shot(clip, adapter, pixels, texts[cls], layers)
        e2e_fs = few_shot_map(clip, pixels, memories[cls], fs_layers)
        report.check(f"{name} end to end", f"case{n}/zero_shot_map", e2e["map"], golden.array(f"case{n}/zero_shot_map"), "map", 0.05)
        report.check(f"{name} end to end", f"case{n}/combined_map", e2e["map"] + e2e_fs, golden.array(f"case{n}/combined_map"), "map", 0.05)
        report.check(f"{name} end to end", f"case{n}/zero_shot_score", e2e["score"], case["zero_shot_score"], "abs", 1e-3)


def summarise(rows):
    groups = {}
    for r in rows:
        g = groups.setdefault(r["group"], {"arrays": 0, "failed": 0, "max_abs": 0.0, "max_rel": 0.0, "min_pearson": None})
        g["arrays"] += 1
        g["failed"] += 0 if r["ok"] else 1
        g["max_abs"] = max(g["max_abs"], r.get("max_abs", float("inf")))
        g["max_rel"] = max(g["max_rel"], r.get("max_rel", float("inf")))
        if "pearson" in r:
            g["min_pearson"] = r["pearson"] if g["min_pearson"] is None else min(g["min_pearson"], r["pearson"])
    return groups


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = args.cases or sorted(glob.glob(os.path.join(SHARED, "oracle", "*", "golden", "manifest.json")))
    cases = [c if not c.endswith("manifest.json") else os.path.dirname(os.path.dirname(c)) for c in cases]
    if not cases:
        print(f"no oracle cases found under {SHARED}/oracle", file=sys.stderr)
        return 2
    tokenizer = ClipTokenizer(VOCAB)
    report = Report()
    for case_dir in cases:
        verify_case(case_dir, report, tokenizer)
    groups = summarise(report.rows)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    print("| case: array group | arrays | failed | max abs error | max rel error (max|a-b|/max|golden|) | min map Pearson |")
    print("|---|---|---|---|---|---|")
    for name, g in groups.items():
        pearson = f"{g['min_pearson']:.6f}" if g["min_pearson"] is not None else "-"
        print(f"| {name} | {g['arrays']} | {g['failed']} | {g['max_abs']:.3g} | {g['max_rel']:.3g} | {pearson} |")
    failed = [r for r in report.rows if not r["ok"]]
    for r in failed:
        print(f"FAIL {r['group']} {r['name']}: {json.dumps(r)}", file=sys.stderr)
    print(f"{'PASS' if not failed else 'FAIL'}: {len(report.rows) - len(failed)}/{len(report.rows)} arrays within tolerance")
    if args.json:
        print(json.dumps({"groups": groups, "rows": report.rows}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
