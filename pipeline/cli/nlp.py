"""``voc enrich``, ``voc tag``, ``voc taxonomy check`` and ``voc eval``: the common-language commands."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, engine, fail

TaxonomyOpt = Annotated[str | None, typer.Option(
    "--taxonomy", envvar="VOC_TAXONOMY", show_envvar=True, metavar="FILE",
    help="Taxonomy YAML file, or the name of a bundled one (acme-retail, airline); unset: acme-retail.")]

taxonomy_app = typer.Typer(help="Check taxonomy files (the company's common language).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the NLP commands to the root ``voc`` app."""
    app.command()(enrich)
    app.command()(tag)
    app.command("eval")(evaluate)
    app.add_typer(taxonomy_app, name="taxonomy")


def _tagger(taxonomy: str | None):
    """Build the tagger, or exit 2 with every error of the taxonomy file."""
    from voc.nlp import Tagger, TaxonomyError

    try:
        return Tagger(taxonomy)
    except TaxonomyError as exc:
        typer.echo("\n".join(f"error: {e}" for e in exc.errors), err=True)
        raise typer.Exit(2) from None


def enrich(
    reprocess: Annotated[bool, typer.Option(
        "--reprocess", help="Also re-tag items tagged by another pipeline or taxonomy version (a backfill).")] = False,
    taxonomy: TaxonomyOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Items claimed per transaction.")] = 1000,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many items.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Tag every item not yet enriched (sentiment, topics, intents, journey stage); safe to run in parallel."""
    from voc.pipeline.enrich import enrich_pending

    tagger = _tagger(taxonomy)
    report = enrich_pending(engine(database_url), batch_size=batch_size, limit=limit, reprocess=reprocess,
                            tagger=tagger)
    typer.echo(str(report))


def _progress(total: int, label: str):
    """A progress bar on stderr when it is a terminal, else nothing (pipes and CI stay clean)."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), DownloadColumn(), TextColumn("{task.fields[rows]} rows"),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=False)


def tag(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", exists=True, dir_okay=False,
                                               help="CSV, TSV or JSON Lines file of feedback.")],
    taxonomy: TaxonomyOpt = None,
    text_column: Annotated[str, typer.Option(help="Column holding the feedback text.")] = "text",
    id_column: Annotated[str, typer.Option(help="Column identifying a row; unset or missing: the row number.")] = "id",
    channel_column: Annotated[str | None, typer.Option(help="Column with the channel (for channel stages).")] = None,
    survey_column: Annotated[str | None, typer.Option(help="Column with the survey id (for survey stages).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", dir_okay=False,
                                                help="Write JSON Lines here instead of stdout.")] = None,
) -> None:
    """Tag a file without a database: one JSON object per row (streams; any file size)."""
    from voc.nlp import Item
    from voc.nlp.records import Progress as Consumed
    from voc.nlp.records import RecordError, columns_of, read_rows

    columns = columns_of(input_file)
    if columns and text_column not in columns:
        fail(f"{input_file} has no column {text_column!r} (columns: {', '.join(columns)}); use --text-column")
    tagger = _tagger(taxonomy)
    consumed = Consumed(input_file.stat().st_size)

    def items():
        for number, row in enumerate(read_rows(input_file, progress=consumed), start=1):
            yield Item(text=row.get(text_column), id=str(row.get(id_column) or number),
                       channel=row.get(channel_column) if channel_column else None,
                       survey_id=row.get(survey_column) if survey_column else None)

    out = output.open("w", encoding="utf-8") if output else sys.stdout
    rows = 0
    try:
        with _progress(consumed.total, f"tagging {input_file.name}") as bar:
            task = bar.add_task("tag", total=consumed.total, rows=0) if bar else None
            for result in tagger.tag(items()):
                result.pop("sentences", None)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                rows += 1
                if bar and rows % 200 == 0:
                    bar.update(task, completed=consumed.done, rows=rows)
            if bar:
                bar.update(task, completed=consumed.total, rows=rows)
    except RecordError as exc:
        fail(str(exc))
    finally:
        if output:
            out.close()
    if output:
        typer.echo(f"tagged {rows} rows into {output} (taxonomy {tagger.taxonomy_version})", err=True)


@taxonomy_app.command("check")
def taxonomy_check(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Taxonomy YAML file to validate, or the name of a "
                                                             "bundled one (acme-retail, airline).")],
    as_json: JsonOpt = False,
) -> None:
    """Validate a taxonomy file and report every error with its line (exit 1 when it has errors)."""
    from voc.nlp import TaxonomyError
    from voc.nlp.pipeline import resolve_taxonomy

    try:
        taxonomy = resolve_taxonomy(file)
    except TaxonomyError as exc:
        if as_json:
            typer.echo(json.dumps({"file": str(file), "valid": False, "errors": exc.errors}, indent=2))
        else:
            for error in exc.errors:
                typer.echo(f"error: {error}", err=True)
            typer.echo(f"{file}: {len(exc.errors)} error(s)", err=True)
        raise typer.Exit(1) from None
    topics = taxonomy.topics
    summary = {"file": str(file), "valid": True, "version": taxonomy.version_tag, "stages": len(taxonomy.stages),
               "themes": len(taxonomy.themes), "topics": len(topics),
               "phrases": sum(len(t.phrases) for t in topics), "patterns": sum(len(t.patterns) for t in topics)}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(f"ok: {taxonomy.version_tag}: {summary['stages']} stages, {summary['themes']} themes, "
                   f"{summary['topics']} topics, {summary['phrases']} phrases, {summary['patterns']} patterns")


def _label_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        gold, sep, label = pair.partition("=")
        if not sep or label not in ("negative", "neutral", "positive"):
            fail(f"--label-map {pair!r}: expected GOLD=negative|neutral|positive")
        mapping[gold] = label
    return mapping


def evaluate(
    labelled_file: Annotated[Path, typer.Argument(metavar="LABELLED_FILE", exists=True, dir_okay=False,
                                                  help="CSV, TSV or JSON Lines file with gold labels.")],
    taxonomy: TaxonomyOpt = None,
    label_column: Annotated[str | None, typer.Option(help="Column with gold sentiment (negative/neutral/positive).")]
    = None,
    topic_column: Annotated[str | None, typer.Option(help="Column with the gold complaint topic (id or label).")]
    = None,
    text_column: Annotated[str, typer.Option(help="Column holding the feedback text.")] = "text",
    label_map: Annotated[list[str] | None, typer.Option(
        help="Rename gold sentiment values, e.g. --label-map 0=negative --label-map 1=positive.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Field delimiter (default: tab for .tsv, else comma).")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Print precision, recall, F1 per class and a confusion matrix for sentiment and/or topics."""
    from voc.nlp.evaluate import evaluate as run_eval
    from voc.nlp.records import RecordError

    if label_column is None and topic_column is None:
        fail("give --label-column (sentiment), --topic-column (topics), or both")
    tagger = _tagger(taxonomy)
    try:
        result = run_eval(labelled_file, tagger, label_column=label_column, topic_column=topic_column,
                          text_column=text_column, label_map=_label_map(label_map or []), delimiter=delimiter)
    except (KeyError, RecordError) as exc:
        fail(str(exc).strip("'\""))
    if as_json:
        typer.echo(json.dumps({"file": str(labelled_file), "taxonomy": tagger.taxonomy_version,
                               "nlp_version": tagger.nlp_version, **result.as_dict()}, indent=2))
    else:
        typer.echo(f"{labelled_file}: {result.items} items, taxonomy {tagger.taxonomy_version}, {tagger.nlp_version}")
        typer.echo(result.format())
