"""Times the official APRIL-GAN zero-shot pipeline (PyTorch, fp32, one thread) per image, as test.py runs it.

usage: python3 scripts/reference/april_gan_torch.py --model DIR --image PATH [--object bottle] [--image-size S]
           [--layers 3,6,9,12] [--runs 10] [--warmup 1] [--json] [--serve]
DIR holds open_clip_config.json, open_clip_model.safetensors (or open_clip_pytorch_model.bin) and adapter.safetensors
(or adapter.pth). Per run: decode (PIL open + load), preprocess (the official transform), encoder (encode_image with
the taps), scoring (image score, adapters, per-layer maps, upsampling, softmax, sum, to numpy). The object's text
features are computed once before the runs (the official test does so for every object before its loop): not timed.
The last line printed with --json is the result object. --serve: after the runs, one more timed run per "run" line
on stdin, answered as a JSON line {"ms": wall, "cpu": process CPU} (the bench's interleaved runs), until "exit".
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# one thread everywhere, set before torch loads OpenMP / OpenBLAS
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

from april_gan import encode, load_april_gan, text_features, zero_shot_from_encoding  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402
from preprocess import decode_image, preprocess  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB = os.path.join(os.path.dirname(REPO), "shared", "clip", "bpe_simple_vocab_16e6.txt.gz")


def blas_libraries():
    """The BLAS/LAPACK shared objects this process has mapped (what torch's matmuls actually call)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "/" in line}
    return sorted(p for p in paths if any(k in os.path.basename(p) for k in ("blas", "lapack", "mkl", "dnnl", "blis")))


def stats(values):
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--object", default="bottle")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--layers", default="3,6,9,12")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--vocab", default=VOCAB)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", action="store_true", help="after the runs, time one more run per 'run' line on stdin")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    layers = [int(x) for x in args.layers.split(",")]

    t0 = time.perf_counter()
    with open(os.path.join(args.model, "open_clip_config.json")) as f:
        native = json.load(f)["model_cfg"]["vision_cfg"]["image_size"]
    size = args.image_size or native
    clip, adapter, config = load_april_gan(args.model, size, layers)
    mean = config.get("preprocess_cfg", {}).get("mean")
    std = config.get("preprocess_cfg", {}).get("std")
    norm = {k: v for k, v in (("mean", mean), ("std", std)) if v}
    load_ms = (time.perf_counter() - t0) * 1e3
    t1 = time.perf_counter()
    text = text_features(clip, ClipTokenizer(args.vocab), args.object)
    text_ms = (time.perf_counter() - t1) * 1e3

    def score_once():
        """One image end to end; returns the stages' wall ms, the process CPU ms and the result."""
        start = time.perf_counter()
        cpu_start = time.process_time()
        image = decode_image(args.image)
        t_decode = time.perf_counter()
        pixels = preprocess(image, size, **norm)
        t_pre = time.perf_counter()
        image_features, patch_tokens = encode(clip, pixels, layers)
        t_enc = time.perf_counter()
        result = zero_shot_from_encoding(adapter, image_features, patch_tokens, text, size)
        end = time.perf_counter()
        cpu_ms = (time.process_time() - cpu_start) * 1e3
        stages = {
            "decode": t_decode - start,
            "preprocess": t_pre - t_decode,
            "encoder": t_enc - t_pre,
            "scoring": end - t_enc,
            "total": end - start,
        }
        return {stage: seconds * 1e3 for stage, seconds in stages.items()}, cpu_ms, result

    samples = {"decode": [], "preprocess": [], "encoder": [], "scoring": [], "total": []}
    cpu_samples = []  # process CPU time of the whole per-image pipeline: on a loaded machine wall time is mostly waiting
    with torch.no_grad():
        for run in range(-args.warmup, args.runs):
            times, cpu_ms, result = score_once()
            if run >= 0:
                cpu_samples.append(cpu_ms)
                for stage, ms in times.items():
                    samples[stage].append(ms)
        if args.serve:
            # the line protocol of src/bench/serve-runs.ts: one timed run per "run" line, until "exit" or end of input
            print(json.dumps({"ready": True}), flush=True)
            for line in sys.stdin:
                if line.strip() == "exit":
                    break
                if line.strip() != "run":
                    print(json.dumps({"error": f"unknown request {line.strip()!r}"}), flush=True)
                    continue
                times, cpu_ms, _ = score_once()
                print(json.dumps({"ms": times["total"], "cpu": cpu_ms}), flush=True)
            return
    score = result["score"]
    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_libraries(),
        "image_size": size,
        "layers": layers,
        "runs": args.runs,
        "warmup": args.warmup,
        "load_ms": round(load_ms, 1),
        "text_features_ms": round(text_ms, 1),
        "zero_shot_ms": {stage: stats(v) for stage, v in samples.items()},
        "zero_shot_cpu_ms": stats(cpu_samples),
        "zero_shot_score": score,
        "map_max": float(result["map"].max()),
    }
    z = report["zero_shot_ms"]
    print(
        f"pytorch {report['torch']} fp32, {report['threads']} thread, S={size}: decode {z['decode']['p50']} + preprocess "
        f"{z['preprocess']['p50']} + encoder {z['encoder']['p50']} + scoring {z['scoring']['p50']} -> total p50 "
        f"{z['total']['p50']} ms (p95 {z['total']['p95']}; CPU time p50 {report['zero_shot_cpu_ms']['p50']}), {args.runs} runs; BLAS {', '.join(report['blas']) or '-'}",
        file=sys.stderr,
    )
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
