"""The news-qa web chat: answers from the indexed articles, each with its evidence one click away.

Run `python app.py` (or `make run`). It serves on 127.0.0.1:7860 unless GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT say otherwise, and keeps its index in QA_INDEX_DIR (default: index/ beside
this file), built from seeds/ on first start. With `--mcp` (or GRADIO_MCP_SERVER=true) the API
endpoints `ask` and `quotes` are also MCP tools at /gradio_api/mcp/. Presentation only: the
library answers, `qa.render` writes the HTML and Markdown, and this file wires them to Gradio.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from qa import NewsIndex, QAError, render
from qa.bridges.tools import api, form_date, shown_to_caller
from qa.ingest.load import SUPPORTED_SUFFIXES
from qa.ingest.records import canonical_text, content_id, derive_title, parse_date
from qa.text.conversation import dated_article, resolve_followup, shown_before
from qa.types import Article

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
INDEX_DIR = Path(os.environ.get("QA_INDEX_DIR") or HERE / "index")
DEFAULT_HOST = "127.0.0.1"  # local only; set GRADIO_SERVER_NAME=0.0.0.0 to serve a network
DEFAULT_PORT = 7860
MAX_FILE_SIZE = "20mb"
PASTED_SOURCE = "pasted"
EXAMPLES = (
    "What did Netanyahu say about Rafah?",
    "What did Blinken say in Egypt?",
    "Who attended Arafat's funeral from Brazil?",
    "How many moons does Jupiter have?",  # not in the seeds: shows an honest "don't say"
)
PLACEHOLDER = (
    "**Ask about the articles in the index.**\n\n"
    "Answers are the articles' own sentences, numbered [1], [2]… with their sources; the "
    "panel on the right opens each article at the cited sentence. Follow-ups such as "
    "*when was that?* borrow the previous question's subject."
)
NO_EVIDENCE = (
    '<p class="qa-empty">Ask a question: the article behind each cited passage opens here, '
    "with the passage highlighted.</p>"
)

_index: NewsIndex | None = None
_index_lock = threading.Lock()


def index() -> NewsIndex:
    """The one NewsIndex of this process, built from seeds/ first when it is missing or empty."""
    global _index
    with _index_lock:
        if _index is None:
            opened = NewsIndex.open(INDEX_DIR, create=True)
            if len(opened) == 0 and SEEDS.is_dir():
                print(f"news-qa: building the index at {INDEX_DIR}/ from {SEEDS}/ (first start)...", flush=True)
                report = opened.add(
                    [SEEDS], progress=lambda done, _total: print(f"news-qa:   {done} articles indexed", flush=True)
                )
                print(f"news-qa: {report.summary()}", flush=True)
            _index = opened
        return _index


ask, quotes = api(index)  # the API endpoints; with MCP on, also the tools an assistant calls


# ---- the chat ------------------------------------------------------------------------------


def chat(
    message: str,
    messages: list[dict],
    searched: list[str],
    turns: list[dict],
    sources: list[str] | None,
    since: str | None,
    until: str | None,
):
    """One turn: complete a follow-up, ask, show the answer and open its first passage."""
    if not message or not message.strip():
        raise gr.Error("Type a question first, for example: What did Netanyahu say about Rafah?")
    last_answer = turns[-1]["answer"] if turns else None
    question = resolve_followup(message.strip(), searched, last_answer)
    with shown_to_caller():
        since_day, until_day = form_date(since, "Published from"), form_date(until, "Published to")
        shown = shown_before(message.strip(), [(turn["typed"], turn["answer"]) for turn in turns])
        within = dated_article(message.strip(), last_answer)  # "when was that?": of the passage cited first
        answer = index().ask(
            question, sources=sources or (), since=since_day, until=until_day, shown=shown, articles=within
        )
        texts = {c.article_id: index().get(c.article_id).text for c in render.references(answer)}
    reply = render.answer_html(answer, texts=texts, asked=message, rewritten=question != message.strip())
    messages = [
        *messages,
        {"role": "user", "content": render.escape(message.strip(), newlines=True)},
        {"role": "assistant", "content": reply},
    ]
    turn = {
        "message": len(messages) - 1,
        "labels": [render.reference_label(n, c) for n, c in enumerate(render.references(answer), 1)],
        "refs": [
            (c.article_id, c.start, c.end, n < len(answer.citations)) for n, c in enumerate(render.references(answer))
        ],
        "markdown": render.answer_markdown(answer),  # what "Copy with sources" copies
        "answer": answer,  # whom "he" means in the next question, after a "who" question
        "typed": message.strip(),  # with the answer, what a later "what else?" asks past
    }
    turns = [*turns, turn]
    return (messages, [*searched, question], "", turns, len(turns) - 1, *_open_turn(turn))


def select_answer(turns: list[dict], event: gr.SelectData):
    """Clicking an answer in the chat lists its passages in the evidence panel."""
    for number, turn in enumerate(turns):
        if turn["message"] == event.index:
            return number, *_open_turn(turn)
    return gr.skip(), gr.skip(), gr.skip(), gr.skip()


def show_passage(choice: int | None, turns: list[dict], current: int | None) -> str:
    """The whole article behind the chosen passage, with the passage highlighted."""
    if choice is None or current is None or not turns:
        return NO_EVIDENCE
    with shown_to_caller():
        return _evidence(turns[current]["refs"], int(choice))


def new_conversation():
    """An empty chat: follow-ups start over."""
    return [], [], "", [], None, gr.update(choices=[], value=None), NO_EVIDENCE, ""


def _open_turn(turn: dict):
    choices = [(label, i) for i, label in enumerate(turn["labels"])]
    return (
        gr.update(choices=choices, value=0 if choices else None),
        _evidence(turn["refs"], 0) if choices else NO_EVIDENCE,
        turn["markdown"],
    )


def _evidence(refs: Sequence[Sequence[Any]], chosen: int) -> str:
    article_id = refs[chosen][0]
    try:
        article = index().get(article_id)
    except KeyError:
        return f'<p class="qa-empty">That article is no longer in the index ({render.escape(article_id)}).</p>'
    # The chosen passage is in focus; the answer's other citations in the same article are marked too.
    highlights = {
        n: (start, end)
        for n, (aid, start, end, cited) in enumerate(refs, 1)
        if aid == article_id and (cited or n == chosen + 1)
    }
    return render.article_html(article, highlights, focus=chosen + 1)


# ---- adding articles -----------------------------------------------------------------------


def add_files(files: list[str] | None, progress=gr.Progress()):
    """Index uploaded files; they are searchable as soon as this returns."""
    if not files:
        raise gr.Error("Choose one or more files first (" + ", ".join(sorted(SUPPORTED_SUFFIXES)) + ").")
    return *_add([str(f) for f in files], progress), None  # a cleared list says the files went in


def add_pasted(title: str, source: str, published: str, text: str, progress=gr.Progress()):
    """Index one pasted article."""
    text = canonical_text(text or "")
    if not text:
        raise gr.Error("Paste the article's text first.")
    title = " ".join((title or "").split()) or derive_title(text)
    day = parse_date(published) if (published or "").strip() else None
    if (published or "").strip() and day is None:
        raise gr.Error(f"Published must be a date like 2024-03-22, got {published!r}")
    article = Article(
        id=content_id(title, text),
        text=text,
        title=title,
        source=" ".join((source or "").split()) or PASTED_SOURCE,
        published=day,
        metadata={"added_from": "web"},
    )
    return *_add([article], progress), "", "", "", ""


def _add(items: list, progress: gr.Progress):
    progress(0, desc="Reading articles")
    with shown_to_caller():
        report = index().add(
            items, progress=lambda done, total: progress((done, total), desc="Indexing articles", unit="articles")
        )
        titles = {i: index().get(i).title for i in report.added + report.replaced + report.duplicates if i in index()}
    return render.report_html(report, titles), *index_overview()


def index_overview():
    """The index summary and the source filter's choices (after start and after every ingest)."""
    with shown_to_caller():
        return render.summary_html(index().info()), gr.update(choices=index().sources())


# ---- the page ------------------------------------------------------------------------------

CSS = (HERE / "static" / "app.css").read_text(encoding="utf-8")

SCROLL_TO_FOCUS = """
const scroll = () => {
  const box = element.querySelector('.qa-evidence-scroll');
  const mark = element.querySelector('mark.qa-focus');
  if (!box) return;
  const header = box.querySelector('header');
  box.scrollTop = mark ? Math.max(0, mark.offsetTop - (header ? header.offsetHeight : 0) - 60) : 0;
};
watch('value', () => requestAnimationFrame(scroll));
scroll();
"""

# A long answer would leave its question above the fold: show each new turn from its question.
SHOW_LATEST_TURN = """
() => setTimeout(() => {
  const box = document.querySelector('#qa-chat .bubble-wrap');
  const questions = box ? box.querySelectorAll('.user-row') : [];
  const last = questions[questions.length - 1];
  if (last) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}, 60)
"""

# The clipboard API needs a secure context (localhost or https); elsewhere the older copy command works.
COPY_WITH_SOURCES = """
async (text) => {
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  const button = document.querySelector('#qa-copy');
  if (button) {
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy with sources'; }, 1500);
  }
}
"""

THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
)  # no web fonts: offline

with gr.Blocks(title="news-qa", analytics_enabled=False) as demo:  # no telemetry: offline by design
    searched_state = gr.State([])  # the questions searched in this conversation, for follow-ups
    turns_state = gr.State([])  # per answer: its chat message, passage labels, (id, start, end, cited), the Answer
    current_state = gr.State(None)  # the answer whose passages the evidence panel lists

    with gr.Row(elem_id="qa-header"):
        gr.HTML(
            '<h1>news-qa</h1><p class="qa-tagline">Answers from your news articles, in their own '
            "words: every answer cites the sentence it came from.</p>",
            elem_id="qa-title",
        )
        summary = gr.HTML(elem_id="qa-summary")

    with gr.Row(equal_height=False):
        with gr.Column(scale=6):
            chatbot = gr.Chatbot(
                elem_id="qa-chat",
                show_label=False,
                height=640,
                buttons=["copy"],
                autoscroll=False,
                latex_delimiters=[],
                group_consecutive_messages=False,
                placeholder=PLACEHOLDER,
            )
            with gr.Row():
                question = gr.Textbox(
                    elem_id="qa-question",
                    show_label=False,
                    scale=8,
                    autofocus=True,
                    placeholder="Ask a question, e.g. What did Netanyahu say about Rafah?",
                )
                ask_button = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-ask")
            with gr.Row(elem_id="qa-examples"):
                gr.HTML('<span class="qa-try">Try:</span>')
                example_buttons = [gr.Button(text, size="sm", variant="secondary") for text in EXAMPLES]
            with gr.Accordion("Filters", open=False, elem_id="qa-filters"):
                source_filter = gr.Dropdown(
                    label="Sources",
                    multiselect=True,
                    choices=[],
                    info="Search only these sources (all when empty).",
                    elem_id="qa-sources",
                )
                with gr.Row():
                    since_filter = gr.DateTime(
                        label="Published from", include_time=False, type="string", elem_id="qa-since"
                    )
                    until_filter = gr.DateTime(
                        label="Published to", include_time=False, type="string", elem_id="qa-until"
                    )
            with gr.Row():
                copy_button = gr.Button(
                    "Copy with sources", size="sm", variant="secondary", elem_id="qa-copy", interactive=False
                )
                new_button = gr.Button("New conversation", size="sm", variant="secondary")
            # The selected answer as Markdown with numbered footnotes; the button copies it.
            copy_text = gr.Textbox(visible=False, elem_id="qa-copy-text")
        with gr.Column(scale=5):
            passage = gr.Radio(
                label="Evidence: the passages of an answer (click an answer to list its own)",
                choices=[],
                elem_id="qa-passages",
                type="value",
            )
            evidence = gr.HTML(
                NO_EVIDENCE,
                elem_id="qa-evidence",
                js_on_load=SCROLL_TO_FOCUS,
                html_template='<div class="qa-evidence-scroll">${value}</div>',
            )

    with gr.Accordion("Add articles", open=False, elem_id="qa-add"):
        with gr.Tabs():
            with gr.Tab("Upload files"):
                files = gr.File(
                    label="Articles (" + ", ".join(sorted(SUPPORTED_SUFFIXES)) + ")",
                    file_count="multiple",
                    file_types=sorted(SUPPORTED_SUFFIXES),
                    elem_id="qa-files",
                )
                add_files_button = gr.Button("Add files to the index", variant="primary", elem_id="qa-add-files")
            with gr.Tab("Paste an article"):
                with gr.Row():
                    paste_title = gr.Textbox(label="Title", scale=3, elem_id="qa-paste-title")
                    paste_source = gr.Textbox(label="Source", placeholder=PASTED_SOURCE, scale=1)
                    paste_date = gr.Textbox(label="Published", placeholder="YYYY-MM-DD", scale=1)
                paste_text = gr.Textbox(label="Text", lines=8, elem_id="qa-paste-text")
                add_pasted_button = gr.Button("Add article to the index", variant="primary", elem_id="qa-add-pasted")
        report = gr.HTML(elem_id="qa-report")

    chat_inputs = [question, chatbot, searched_state, turns_state, source_filter, since_filter, until_filter]
    chat_outputs = [chatbot, searched_state, question, turns_state, current_state, passage, evidence, copy_text]
    for trigger in (question.submit, ask_button.click):
        trigger(chat, chat_inputs, chat_outputs, api_visibility="private").then(
            None, js=SHOW_LATEST_TURN, api_visibility="private"
        )
    for button, text in zip(example_buttons, EXAMPLES, strict=True):
        button.click(lambda text=text: text, None, question, api_visibility="private").then(
            chat, chat_inputs, chat_outputs, api_visibility="private"
        ).then(None, js=SHOW_LATEST_TURN, api_visibility="private")
    passage.input(show_passage, [passage, turns_state, current_state], evidence, api_visibility="private")
    chatbot.select(select_answer, turns_state, [current_state, passage, evidence, copy_text], api_visibility="private")
    copy_text.change(lambda text: gr.update(interactive=bool(text)), copy_text, copy_button, api_visibility="private")
    copy_button.click(None, copy_text, None, js=COPY_WITH_SOURCES, api_visibility="private")
    new_button.click(new_conversation, None, chat_outputs, api_visibility="private")
    add_files_button.click(add_files, files, [report, summary, source_filter, files], api_visibility="private")
    paste_fields = [paste_title, paste_source, paste_date, paste_text]
    add_pasted_button.click(
        add_pasted, paste_fields, [report, summary, source_filter, *paste_fields], api_visibility="private"
    )
    demo.load(index_overview, None, [summary, source_filter], show_progress="hidden", api_visibility="private")
    gr.api(ask, api_name="ask")
    gr.api(quotes, api_name="quotes")


def launch_options(*, mcp: bool = False) -> dict[str, Any]:
    """How `python app.py` serves `demo`: host, port, upload limit, look, and whether the API is
    also an MCP server (`--mcp`, or Gradio's own GRADIO_MCP_SERVER=true)."""
    port = os.environ.get("GRADIO_SERVER_PORT")
    return {
        "mcp_server": mcp,
        "server_name": os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST,
        "server_port": int(port) if port else DEFAULT_PORT,
        "max_file_size": MAX_FILE_SIZE,
        "theme": THEME,
        "css": CSS,
        "footer_links": ["api"],
        "ssr_mode": False,
    }


def mcp_requested(argv: Sequence[str]) -> bool:
    """Whether this start serves MCP; exits with the install command when the `mcp` package is missing."""
    wanted = "--mcp" in argv or os.environ.get("GRADIO_MCP_SERVER", "").lower() in ("1", "true", "yes")
    if wanted and importlib.util.find_spec("mcp") is None:
        sys.exit("news-qa: serving MCP needs the mcp extra; install it with: .venv/bin/pip install -e '.[mcp]'")
    return wanted


if __name__ == "__main__":
    mcp = mcp_requested(sys.argv[1:])
    try:
        index()  # build from seeds/ before serving, so the first question does not wait for it
    except QAError as exc:
        sys.exit(f"news-qa: {exc}")
    demo.queue(default_concurrency_limit=4).launch(**launch_options(mcp=mcp))
