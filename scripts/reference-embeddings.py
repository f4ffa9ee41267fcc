#!/usr/bin/env python3
"""Writes Tests/PaperboySearchTests/Fixtures/reference-embeddings.json: token ids and embeddings
from the Python sentence-transformers reference for all-MiniLM-L6-v2, which the Swift
tokenizer and encoder are tested against.

Run from anywhere: `python3 scripts/reference-embeddings.py [model-dir]`. The model folder
defaults to .build-tools/model/all-MiniLM-L6-v2 (scripts/install-model puts it there).
It builds a throwaway venv under /tmp with the CPU torch wheel from /opt/wheels (installed
first, so that sentence-transformers does not pull CUDA torch) and re-runs itself inside it.
Nothing is fetched from a model hub: HF_HUB_OFFLINE=1 and the model is loaded from its folder.
"""
import glob
import json
import os
import pathlib
import subprocess
import sys

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPOSITORY / ".build-tools" / "model" / "all-MiniLM-L6-v2"
OUTPUT = REPOSITORY / "Tests" / "PaperboySearchTests" / "Fixtures" / "reference-embeddings.json"
VENV = pathlib.Path("/tmp/paperboy-reference-venv")
MAX_SEQUENCE_LENGTH = 256
INSIDE_VENV_FLAG = "--inside-venv"


def build_venv():
    """Creates the venv once; later runs reuse it."""
    python = VENV / "bin" / "python"
    marker = VENV / ".complete"
    if marker.exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    wheels = sorted(glob.glob("/opt/wheels/torch-*+cpu-cp311-*.whl"))
    if not wheels:
        sys.exit("no CPU torch wheel in /opt/wheels (expected torch-*+cpu-cp311-*.whl)")
    subprocess.run(pip + [wheels[-1]], check=True)
    # --no-deps keeps pip from replacing the CPU torch with a CUDA build; the small
    # dependencies sentence-transformers imports are listed by hand.
    subprocess.run(pip + ["--no-deps", "sentence-transformers"], check=True)
    subprocess.run(pip + ["transformers", "tokenizers", "huggingface-hub", "safetensors", "tqdm",
                          "scikit-learn", "scipy", "Pillow", "typing_extensions"], check=True)
    marker.touch()
    return python


def seed_texts():
    """A few real abstracts (title + '. ' + abstract, as the server embeds them)."""
    rows = [json.loads(line) for line in open(REPOSITORY / "Data" / "seed-papers.jsonl")]
    picks = [rows[index] for index in (0, 5, 17, 42, 99)]
    texts = [row["title"] + ". " + row["abstract"] for row in picks]
    # Two first sentences only, so some cases stay well under the 256-token limit.
    texts += [rows[index]["abstract"].split(". ")[0] + "." for index in (7, 63)]
    return texts


def cases():
    long_text = " ".join(json.loads(line)["abstract"] for line in list(open(REPOSITORY / "Data" / "seed-papers.jsonl"))[150:153])
    return [
        "",
        "   ",
        "finding sparse subnetworks that train from their initialization",
        "Über naïve café résumé: Ångström, Øresund, Šťastný, İstanbul, straße",
        "深度学习模型的稀疏性 and 日本語のテキスト、한국어 문장",
        "Emoji everywhere 😀🚀 🤖👍🏽 ❤️ 🥰 and symbols € £ × ÷ ≤ ∑ ∞ ™ ©",
        "We bound the $O(n^2)$ cost of \\alpha-divergence minimisation: $\\mathcal{L}(\\theta) = \\sum_{i=1}^{N} \\log p_\\theta(x_i)$ with $\\epsilon < 10^{-3}$.",
        "Code at https://github.com/example/repo-name and https://arxiv.org/abs/2403.01234v2, mail me@example.org.",
        "GPT-4o-mini scored 87.5% (±0.3) on 1,024 samples; 3-D U-Net, 2024-05-17, v1.2.3, 1e-4, 0x1F.",
        "ATTENTION IS ALL YOU NEED: TRANSFORMERS FOR SEQUENCE TRANSDUCTION",
        "Tabs\tnewlines\nand\r\ncarriage returns,\u00a0no-break\u2003em spaces\u200bzero width\u0007bell\ufffdreplacement\u0000nul",
        "Quotes “curly” ‘single’ «guillemets» — em dash – en dash … ellipsis ¿qué? ¡sí!",
        "Special tokens [MASK] and [SEP] inside text, [CLS]x[UNK] and [mask] lowercase",
        "pneumonoultramicroscopicsilicovolcanoconiosis " + "a" * 101 + " supercalifragilisticexpialidocious",
        "Ελληνικά ΣΟΦΊΑ σοφίας, русский текст, עברית, العربية, हिन्दी",
        long_text,
    ] + seed_texts()


def write_fixture(model_directory):
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(model_directory), device="cpu")
    assert model.max_seq_length == MAX_SEQUENCE_LENGTH, model.max_seq_length
    texts = cases()
    embeddings = model.encode(texts, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)
    records = []
    for text, embedding in zip(texts, embeddings):
        # preprocess (tokenize before sentence-transformers 5.x) is exactly what encode feeds
        # the network; check it against the plain tokenizer call with the same limit.
        prepare = getattr(model, "preprocess", None) or model.tokenize
        ids = prepare([text])["input_ids"][0].tolist()
        direct = model.tokenizer(text.strip(), max_length=MAX_SEQUENCE_LENGTH, truncation=True)["input_ids"]
        assert ids == direct, (text, ids, direct)
        records.append({
            "text": text,
            "input_ids": ids,
            # float32 needs 9 significant digits to round-trip.
            "embedding": [float(f"{value:.9g}") for value in embedding.tolist()],
        })
    document = {
        "model": "all-MiniLM-L6-v2",
        "max_sequence_length": MAX_SEQUENCE_LENGTH,
        "generator": "scripts/reference-embeddings.py",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "cases": records,
    }
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(records)} cases to {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


def main():
    arguments = [argument for argument in sys.argv[1:] if argument != INSIDE_VENV_FLAG]
    model_directory = pathlib.Path(arguments[0]).resolve() if arguments else DEFAULT_MODEL
    if not (model_directory / "model.safetensors").exists():
        sys.exit(f"model missing at {model_directory}: run scripts/install-model")
    if INSIDE_VENV_FLAG in sys.argv:
        write_fixture(model_directory)
        return
    python = build_venv()
    subprocess.run([str(python), __file__, INSIDE_VENV_FLAG, str(model_directory)], check=True)


if __name__ == "__main__":
    main()
