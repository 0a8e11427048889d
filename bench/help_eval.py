"""The help channel's matcher, measured: top-1 accuracy per language, the confusion between topics,
off-topic questions answered as how-tos, the time to answer once loaded, and the start-up cost.

    .venv/bin/python bench/help_eval.py [--set tests/flows/help/help_questions.jsonl] [--repeat 20]

The labelled set is one JSON object per line: {"question", "lang", "topic"}; `human` marks a question
the bot should hand over (off-topic, or asking for a person). The sets, in the order they were written:
- tests/flows/help/help_questions.jsonl: the labelled set the knowledge base and the threshold were tuned on.
- tests/flows/help/help_questions_holdout.jsonl and _holdout2.jsonl: each written after a round of tuning and evaluated
  as held out (85 % and 81/78 %); their questions have since become examples in the knowledge base, so
  they are tuned on now.
- tests/flows/help/help_questions_holdout3.jsonl: written by someone who saw neither the matcher nor the articles, only
  the topic list; evaluated once, after the last change to the matcher and the knowledge base. Issue 19 relabelled
  its tax-return, payroll and booking questions `not-supported` (a class that did not exist) and added none of its
  questions to the knowledge base.
- tests/flows/help/help_questions_more.jsonl (issue 19): labelled questions on the money-life, calendar, reports,
  privacy and not-supported topics, tuned on.
- tests/flows/help/help_questions_holdout4.jsonl (issue 19): written and committed before the matcher or the knowledge
  base were changed for those topics; evaluated as held aside (en 84.6 %, fr 92.3 % after the first round of
  tuning on the other sets), then its misses were fixed: tuned on now.
- tests/flows/help/help_questions_holdout5.jsonl (issue 19): written and committed before holdout4 was tuned on;
  evaluated once as held aside (en 70 %, fr 75 %), then tuned on (its two "what is overdue now" questions relabelled
  invoice-status, whose answer from the database lists them, as much as report's).
- tests/flows/help/help_questions_holdout6.jsonl (issue 19): written and committed before holdout5 was tuned on,
  never added to the knowledge base: held aside.
Issue 19 also relabelled four older questions about changing a client's email from `clients` to `edit-client`
(the article for editing a client came after them).

`not-supported` marks a question about something Billbot does not do (superbills, payroll, booking…). A *wrong how-to*
is a how-to article given where the right answer is another topic, `not-supported` or a person: the answer that
misleads, which the goal holds at 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 0.90
HELD_ASIDE_GOAL = 0.95
P99_GOAL_MS = 20.0
_HERE = ROOT / "tests" / "flows" / "help"
SETS = (
    _HERE / "help_questions.jsonl",
    _HERE / "help_questions_holdout.jsonl",
    _HERE / "help_questions_holdout2.jsonl",
    _HERE / "help_questions_holdout3.jsonl",
    _HERE / "help_questions_more.jsonl",
    _HERE / "help_questions_holdout4.jsonl",
    _HERE / "help_questions_holdout5.jsonl",
    _HERE / "help_questions_holdout6.jsonl",
)
# Whether the knowledge base or the matcher was tuned on the set (its questions made examples, its misses fixed).
TUNED_ON = {
    "help_questions.jsonl": "yes",
    "help_questions_holdout.jsonl": "yes (held out once, then made examples)",
    "help_questions_holdout2.jsonl": "yes (held out once, then made examples)",
    "help_questions_holdout3.jsonl": "no (written blind; relabelled for not-supported)",
    "help_questions_more.jsonl": "yes",
    "help_questions_holdout4.jsonl": "yes (held aside once: en 84.6 %, fr 92.3 %; then tuned on)",
    "help_questions_holdout5.jsonl": "yes (held aside once: en 70 %, fr 75 %; then tuned on)",
    "help_questions_holdout6.jsonl": "no (held aside, written before holdout5 was tuned on)",
}


@dataclass
class Report:
    name: str
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    # (expected, answered) → how many, for the mistakes only
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    off_topic_answered: list[str] = field(default_factory=list)
    # A how-to article where the right answer was another topic, not-supported or a person, per language.
    wrong_how_to: Counter[str] = field(default_factory=Counter)
    wrong_how_to_lines: list[str] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)

    def accuracy(self, language: str) -> float:
        return self.right[language] / self.total[language] if self.total[language] else 0.0

    def wrong_how_to_rate(self, language: str) -> float:
        return self.wrong_how_to[language] / self.total[language] if self.total[language] else 0.0


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(path: Path) -> Report:
    from flows.help.knowledge import HUMAN, TOPICS
    from flows.help.retrieval import index

    report = Report(path.name)
    found_index = index()
    for row in load(path):
        # The language is the question's own, as in Slack: detected, not given.
        start = time.perf_counter()
        found = found_index.match(row["question"])
        report.times_ms.append((time.perf_counter() - start) * 1000)
        report.total[row["lang"]] += 1
        if found.topic == row["topic"]:
            report.right[row["lang"]] += 1
            continue
        report.confusion[(row["topic"], found.topic)] += 1
        if found.topic in TOPICS:
            report.wrong_how_to[row["lang"]] += 1
            report.wrong_how_to_lines.append(f"{row['question']!r}: {row['topic']} → {found.topic}")
        if row["topic"] == HUMAN:
            report.off_topic_answered.append(f"{row['question']!r} → {found.topic}")
    return report


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def timings(questions: list[str], repeat: int) -> list[float]:
    from flows.help.retrieval import index

    found = index()
    result = []
    for _ in range(repeat):
        for question in questions:
            start = time.perf_counter()
            found.match(question)
            result.append((time.perf_counter() - start) * 1000)
    return sorted(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, action="append", help="labelled set(s) (default: all in tests/)")
    parser.add_argument("--repeat", type=int, default=20, help="passes over the questions for the timings")
    args = parser.parse_args()

    start = time.perf_counter()
    from flows.help import knowledge, retrieval

    knowledge.articles()
    retrieval.index()
    startup_ms = (time.perf_counter() - start) * 1000
    print(f"start-up (import, load {len(knowledge.articles())} articles, build the index): {startup_ms:.0f} ms")

    ok = True
    paths = args.set or [p for p in SETS if p.exists()]
    for path in paths:
        report = evaluate(path)
        tuned = TUNED_ON.get(report.name, "unknown")
        goal = GOAL if tuned.startswith("yes") else HELD_ASIDE_GOAL
        print(f"\n== {report.name}  (tuned on: {tuned})")
        for language in sorted(report.total):
            accuracy = report.accuracy(language)
            mark = "ok" if accuracy >= goal else f"BELOW {goal:.0%}"
            wrong = report.wrong_how_to[language]
            print(
                f"top-1 {language}: {accuracy:6.1%}  ({report.right[language]}/{report.total[language]})  {mark}"
                f"   wrong how-to: {report.wrong_how_to_rate(language):5.1%} ({wrong})"
            )
            ok = ok and accuracy >= goal
        ok = ok and not report.off_topic_answered and not report.wrong_how_to_lines
        print(f"p99 {p99(report.times_ms):.2f} ms (one pass)")
        print(f"off-topic answered: {len(report.off_topic_answered)}")
        for line in report.off_topic_answered:
            print(f"   {line}")
        print(f"wrong how-to answers: {len(report.wrong_how_to_lines)}")
        for line in report.wrong_how_to_lines:
            print(f"   {line}")
        if report.confusion:
            print("confusion (expected → answered: count):")
            for (expected, answered), count in report.confusion.most_common():
                print(f"   {expected:24} → {answered:24} {count}")

    questions = [row["question"] for path in paths for row in load(path)]
    times = timings(questions, args.repeat)
    p50, p99_all = times[len(times) // 2], p99(times)
    print(
        f"\nanswer time once loaded, {len(times)} questions: "
        f"p50 {p50:.2f} ms, p99 {p99_all:.2f} ms, max {times[-1]:.2f} ms"
    )
    return 0 if ok and p99_all < P99_GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
