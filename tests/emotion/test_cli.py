"""`heartline analyze`: jsonl, csv and text input, bad records reported, large files."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from heartline.emotion.cli import analyze_cmd, model_app

app = typer.Typer()
app.command("analyze")(analyze_cmd)
app.add_typer(model_app, name="model")
runner = CliRunner()


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["analyze", *args], input=stdin)


def test_jsonl_with_bad_lines(neural, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1, "text": "I love this product"}\n'
        "{not json\n"
        '{"id": 3, "body": "no text field"}\n'
        '{"id": 4, "text": "   "}\n'
        '{"id": 5, "text": "This is the worst service ever"}\n'
    )
    res = run(str(src))
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [x["id"] for x in lines] == [1, 5]
    assert [x["line"] for x in lines] == [1, 5]
    assert lines[0]["sentiment"] == "positive" and lines[1]["sentiment"] == "negative"
    assert lines[0]["model"] == neural.model_id
    for n, why in ((2, "broken JSON"), (3, "missing field"), (4, "empty text")):
        assert f"line {n}: {why}" in res.stderr
    assert "scored 2 record(s), skipped 3" in res.stderr


def test_csv_keeps_columns(neural, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,comment,channel\n1,"Great, fast delivery!",email\n2,,chat\n3,Awful,chat\n')
    out = tmp_path / "out.csv"
    res = run(str(src), "--format", "csv", "--text-column", "comment", "-o", str(out))
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["id"] for r in rows] == ["1", "3"]
    assert rows[0]["channel"] == "email" and rows[0]["sentiment"] == "positive"
    assert {"sentiment", "top_emotion", "evidence", "model", "needs_review"} <= set(rows[0])
    assert "line 3: empty text" in res.stderr


def test_csv_missing_column_fails(neural, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,hello\n")
    res = run(str(src), "--format", "csv")
    assert res.exit_code == 1
    assert "no column 'text'" in res.stderr


def test_text_from_stdin_with_lexicon() -> None:
    res = run("-", "--format", "text", "--engine", "lexicon", stdin="I love it\n\nterrible\n")
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [x["line"] for x in lines] == [1, 3]
    assert lines[0]["model"].startswith("lexicon-vader@")
    assert "line 2: empty text" in res.stderr


def test_bad_format_and_missing_file(tmp_path: Path) -> None:
    assert run(str(tmp_path / "nope.jsonl")).exit_code == 2
    assert run("-", "--format", "xml").exit_code == 2


@pytest.mark.slow
def test_fifteen_thousand_lines(neural, tmp_path: Path) -> None:
    rng = random.Random(7)
    subjects = ["my order", "the refund", "your app", "the courier", "support", "the invoice"]
    verbs = ["is late again", "works great", "crashed twice", "was never sent", "made my day",
             "is confusing", "arrived broken", "was quick and kind"]  # fmt: skip
    ends = ["", "!", ".", " :(", " thanks", " - please help", "??"]
    src = tmp_path / "big.jsonl"
    with src.open("w") as fh:
        for i in range(15_000):
            text = f"{rng.choice(subjects)} {rng.choice(verbs)}{rng.choice(ends)} #{i % 997}"
            fh.write(json.dumps({"id": i, "text": text}) + "\n")
    out = tmp_path / "out.jsonl"
    # without occlusion evidence (tested above): this test is about volume and order
    res = run(str(src), "-o", str(out), "--batch-size", "64", "--no-evidence")
    assert res.exit_code == 0, res.output
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert ids == list(range(15_000))
    assert "scored 15000 record(s), skipped 0" in res.stderr
    first = json.loads(out.read_text().splitlines()[0])
    assert first["model"] == neural.model_id and first["sentiment"] is not None


def test_mixed_language_file(neural, tmp_path: Path) -> None:
    """One file, several languages: each line read by the model for its language, the rest
    flagged; the summary says which languages were read and which were not."""
    src = tmp_path / "mixed.txt"
    src.write_text(
        "The parcel arrived broken and nobody answers my emails.\n"
        "Vielen Dank, die Lieferung kam schnell und alles ist perfekt!\n"
        "Je suis très déçu, le colis est arrivé cassé et personne ne me répond.\n"
        "Estoy muy decepcionado, el paquete llegó roto y nadie me responde.\n"
        "Hallo, mijn bestelling is nog steeds niet aangekomen en niemand reageert.\n",
        encoding="utf-8",
    )
    res = run(str(src), "--format", "text", "--no-evidence")
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [r["language"] for r in rows] == ["en", "de", "fr", "es", "nl"]
    assert [r["sentiment"] for r in rows] == ["negative", "positive", "negative", "negative", None]
    assert rows[0]["model"] == neural.model_id != rows[1]["model"]
    assert "unsupported_language" in rows[4]["review_reasons"]
    assert "languages: " in res.stderr and "German 1" in res.stderr
    assert "not read (unsupported, sent to review): Dutch 1" in res.stderr
