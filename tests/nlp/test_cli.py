"""``voc tag`` and ``voc eval``: files in, JSON Lines and reports out, no database involved."""

import json

from typer.testing import CliRunner

from tests.helpers import SHARED_DATA
from voc.pipeline.cli import app

runner = CliRunner()


def test_tag_csv_to_stdout_one_object_per_row(tmp_path):
    source = tmp_path / "feedback.csv"
    source.write_text('ref,comment\nA1,"Love the app but delivery was late, call +44 20 7946 0958"\nA2,\n'
                      'A3,Der Versand war sehr langsam und das Paket beschädigt\n', encoding="utf-8")
    result = runner.invoke(app, ["tag", str(source), "--text-column", "comment", "--id-column", "ref"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["A1", "A2", "A3"]
    first = rows[0]
    assert set(first) == {"id", "language", "redacted_text", "sentiment", "topics", "journey_stage", "stage_reason",
                          "is_complaint", "intents"}
    assert first["redacted_text"].endswith("call [phone]") and first["sentiment"]["label"] == "negative"
    assert {t["topic"] for t in first["topics"]} >= {"app_website", "late_delivery"}
    assert first["journey_stage"] == "delivery" and first["is_complaint"]
    assert rows[1]["sentiment"] is None and rows[1]["topics"] == []
    assert rows[2]["language"] == "de" and rows[2]["sentiment"] is None


def test_tag_jsonl_with_channels_to_a_file(tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": 7, "text": "Nobody answers the phone", "channel": "ticket"}) + "\n\n"
                      + json.dumps({"text": "Great prices!"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(source), "--taxonomy", "acme-retail", "--channel-column", "channel",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "tagged 2 rows" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["7", "2"], "a row without an id is named by its row number"
    assert rows[0]["stage_reason"] in ("channel ticket", "topic waiting_time", "topic support_quality")
    assert rows[1]["sentiment"]["label"] == "positive" and "praise" in rows[1]["intents"]


def test_tag_reports_bad_input_with_exit_code_2(tmp_path):
    source = tmp_path / "f.csv"
    source.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(source)])
    assert result.exit_code == 2 and "has no column 'text' (columns: id, body); use --text-column" in result.output
    broken = tmp_path / "f.jsonl"
    broken.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    result = runner.invoke(app, ["tag", str(broken)])
    assert result.exit_code == 2 and f"{broken}:2: not a JSON object" in result.output
    bad_taxonomy = tmp_path / "t.yaml"
    bad_taxonomy.write_text("version: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(source), "--text-column", "body", "--taxonomy", str(bad_taxonomy)])
    assert result.exit_code == 2 and "missing required key 'name'" in result.output


def test_eval_prints_per_class_scores_and_confusion_matrices(tmp_path):
    source = tmp_path / "labelled.csv"
    source.write_text("text,label,reason\n"
                      "\"Flight delayed 3 hours, no update\",negative,Late Flight\n"
                      "\"Thank you, the crew was wonderful!\",positive,\n"
                      "What time does boarding start?,neutral,\n"
                      "They lost my bag and nobody helps,negative,Lost Luggage\n", encoding="utf-8")
    args = ["eval", str(source), "--taxonomy", "airline", "--label-column", "label", "--topic-column", "reason"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "sentiment: macro-F1 1.000 over 3 classes" in result.output
    assert "confusion matrix (rows: gold, columns: predicted)" in result.output
    assert "topics: macro-F1 1.000 over 2 classes" in result.output
    as_json = json.loads(runner.invoke(app, args + ["--json"]).output)
    assert as_json["sentiment"]["confusion"]["negative"] == {"negative": 2, "neutral": 0, "positive": 0}
    assert as_json["topics"]["per_class"]["late_flight"]["f1"] == 1.0


def test_eval_needs_a_label_and_maps_binary_labels(tmp_path):
    source = tmp_path / "binary.tsv"
    source.write_text("text\tstars\nAwful, rude staff\t0\nLovely shop, great staff\t1\n", encoding="utf-8")
    assert runner.invoke(app, ["eval", str(source)]).exit_code == 2
    result = runner.invoke(app, ["eval", str(source), "--label-column", "stars", "--label-map", "0=negative",
                                 "--label-map", "1=positive"])
    assert result.exit_code == 0 and "macro-F1 1.000 over 2 classes" in result.output
    missing = runner.invoke(app, ["eval", str(source), "--label-column", "nope"])
    assert missing.exit_code == 2 and "no column 'nope'" in missing.output


def test_eval_on_the_airline_dev_set_matches_the_documented_figures():
    path = SHARED_DATA / "airline_tweets_dev.csv"
    if not path.exists():
        return
    result = runner.invoke(app, ["eval", str(path), "--taxonomy", "airline", "--label-column", "airline_sentiment",
                                 "--topic-column", "negativereason", "--json"])
    figures = json.loads(result.output)
    assert figures["items"] == 1000 and figures["sentiment"]["macro_f1"] >= 0.70
    assert figures["topics"]["macro_f1"] >= 0.56 and figures["topics"]["assignment_macro_f1"] >= 0.63
    assert figures["topics"]["left_out"] == {"Can't Tell": 92}
