"""The Start form of the Runs view: its fields, the checks of what they hold (a bad option, a
combination that does nothing, a run that would take hours) and the config they make, and,
beside its LLM fields, a check of the endpoint (``curriculab llm check``'s probes) that a run
with an LLM teacher also passes before iteration 0."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

import gradio as gr

from agents.config import RunConfig
from agents.llm.config import LLMConfig
from agents.llm.redact import redact
from agents.runner import LLM_TEACHERS
from envs.history.queries import student_rates
from envs.level import Level
from students.errors import ConfigError
from students.options import build as build_options
from ui import llm_check
from ui.handlers import Deps, On, duration

MENUS = {"task": "Task", "level": "Environment level", "policy": "Policy", "engine": "Engine",
         "student": "Student"}
TINY_STUDENT = '{"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}'
# Policies whose plans give every skill one count: the Skill-Tree level's subskills go unused.
NO_SUBSKILLS = frozenset({"uniform", "weakest", "oracle"})
LONG_S = 3600.0  # the form warns before a run estimated to take longer
# Seconds per generated example and per iteration's evaluation on a 2-core laptop, for a
# student no run in the history has used yet (measured on the default tiny-gpt).
PER_EXAMPLE_S, PER_ITERATION_S = 0.5, 20.0
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # an environment variable's name


@dataclass(frozen=True, slots=True)
class Form:
    """The Start form; its fields in the order ``start_run`` takes them."""

    task: gr.Dropdown
    task_options: gr.Textbox
    level: gr.Dropdown
    policy: gr.Dropdown
    engine: gr.Dropdown
    student: gr.Dropdown
    student_options: gr.Textbox
    llm_base_url: gr.Textbox
    llm_model: gr.Textbox
    budget: gr.Number
    iterations: gr.Number
    seed: gr.Number
    steer: gr.Checkbox
    llm_api_key_env: gr.Textbox

    def inputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    def menus(self) -> list[gr.Dropdown]:
        """The menus ``form_menus`` fills from the registries."""
        return [getattr(self, name) for name in MENUS]


def build(defaults: dict[str, Any]) -> tuple[Form, gr.Button, gr.Markdown]:
    """The form's fields (starting at ``defaults``), its Check endpoint button and the place
    the check's result shows."""
    with gr.Row():
        menus = {name: gr.Dropdown([defaults[name]], value=defaults[name], label=label,
                                   allow_custom_value=True) for name, label in MENUS.items()}
    with gr.Row():
        budget = gr.Number(defaults["budget"], label="Budget (examples per iteration)", precision=0)
        iterations = gr.Number(defaults["iterations"], label="Iterations", precision=0)
        seed = gr.Number(defaults["seed"], label="Seed", precision=0)
        steer = gr.Checkbox(False, label="Steer: approve each plan in the Steer tab")
    with gr.Row():
        task_options = gr.Textbox("{}", label="Task options (JSON)")
        student_options = gr.Textbox("{}", label="Student options (JSON)", placeholder=TINY_STUDENT)
    with gr.Row(equal_height=True):
        llm_base_url = gr.Textbox("", label="LLM base URL (LLM policies/engines)", scale=3,
                                  placeholder="http://127.0.0.1:8000/v1")
        llm_model = gr.Textbox("", label="LLM model", placeholder=LLMConfig().model, scale=2)
        llm_api_key_env = gr.Textbox(
            "", label="API key from the variable", placeholder=LLMConfig().api_key_env, scale=2,
            info="the name of an environment variable; local servers need none")
        check = gr.Button("Check endpoint", scale=1, size="sm", elem_id="check-llm")
    check_result = gr.Markdown(elem_id="llm-check")
    return Form(task_options=task_options, student_options=student_options,
                llm_base_url=llm_base_url, llm_model=llm_model, budget=budget,
                iterations=iterations, seed=seed, steer=steer, llm_api_key_env=llm_api_key_env,
                **menus), check, check_result


def wire(form: Form, on: On, *, load: Callable[..., Any], check: gr.Button,
         check_result: gr.Markdown, estimate: gr.Markdown) -> None:
    """The menus fill once the page is up (``load``); Check endpoint probes what the LLM
    fields name; the estimate follows the fields it depends on."""
    on(load, form_menus, [], form.menus(), "form_menus")
    llm = [form.llm_base_url, form.llm_model, form.llm_api_key_env]
    on(check.click, check_llm, llm, [check_result], "check_llm")
    for widget in (form.level, form.policy, form.student, form.budget, form.iterations):
        on(widget.change, check_form, [form.level, form.policy, form.student, form.budget,
                                       form.iterations], [estimate], "check_form",
           show_progress="hidden")


def form_defaults() -> dict[str, Any]:
    """The form's starting values: ``RunConfig()``'s, the same defaults the CLI runs with."""
    config = RunConfig()
    return {"task": config.task.id, "level": str(config.teacher.level),
            "policy": config.teacher.policy, "engine": config.teacher.engine,
            "student": config.student.id, "budget": config.teacher.budget,
            "iterations": config.iterations, "seed": config.seed}


def check_llm(deps: Deps, llm_base_url: str, llm_model: str, llm_api_key_env: str = "") -> str:
    """Probe the endpoint the form's LLM fields name (``curriculab llm check``): a table of
    what it answers, what was learnt, and one line when a teacher cannot use it. It waits a
    few seconds per probe at most and records nothing; the key is never shown."""
    try:
        config = llm_from_form(llm_base_url, llm_model, llm_api_key_env)
    except ConfigError as e:
        return f"⚠️ {llm_check.one_line(e)}"
    if config.base_url is None and not os.environ.get(config.api_key_env):
        return (f"⚠️ no LLM endpoint: fill in the LLM base URL, or set ${config.api_key_env}"
                " to use api.openai.com")
    return llm_check.markdown(llm_check.form_check(config), config.api_key_env)


def uses_llm(policy: str | None, engine: str | None) -> bool:
    """Whether a run with this policy and engine calls an LLM (and so checks its endpoint)."""
    return bool({policy, engine} & LLM_TEACHERS)


def refuse_idle(level: str, policy: str) -> None:
    """A Skill-Tree run whose policy plans whole skills grows subskills nobody uses."""
    if level == Level.SKILL_TREE.value and policy in NO_SUBSKILLS:
        raise ConfigError(f"the {policy!r} policy plans whole skills, so the skill-tree level's"
                          " subskills would go unused: pick skill-list, or a policy that plans"
                          " subskills (explore-exploit, alp, sec, frontier, llm)")


def estimate_seconds(deps: Deps, student: str, budget: float, iterations: float) -> float:
    """A run's wall time: the history's mean seconds per example and per evaluation for this
    student, else a laptop's rates for the default student."""
    rates = student_rates(deps.history, student)
    per_example, per_iteration = rates or (PER_EXAMPLE_S, PER_ITERATION_S)
    return per_iteration + float(iterations) * (float(budget) * per_example + per_iteration)


def check_form(deps: Deps, level: str, policy: str, student: str, budget: float | None,
               iterations: float | None) -> str:
    """The form's warnings: a combination that does nothing, a run that would take hours."""
    try:
        refuse_idle(level, policy)
    except ConfigError as e:
        return f"⚠️ This run would be refused: {e}."
    if not budget or not iterations:
        return ""
    seconds = estimate_seconds(deps, student, budget, iterations)
    text = f"Estimated time: about {duration(seconds)}."
    return f"⚠️ {text} That is long: fewer iterations or a smaller budget finish sooner." \
        if seconds > LONG_S else text


def config_from_form(task: str, task_options: str, level: str, policy: str, engine: str,
                     student: str, student_options: str, llm_base_url: str, llm_model: str,
                     budget: float, iterations: float, seed: float,
                     llm_api_key_env: str = "") -> RunConfig:
    """A RunConfig from the form's fields (options are JSON objects); ConfigError names a bad one."""
    data: dict[str, Any] = {
        "task": {"id": task, "options": _json_object(task_options, "task options")},
        "student": {"id": student, "options": _json_object(student_options, "student options")},
        "teacher": {"policy": policy, "engine": engine, "level": level,
                    "budget": _whole(budget, "budget")},
        "iterations": _whole(iterations, "iterations"),
        "seed": _whole(seed, "seed", minimum=0),
    }
    llm = llm_settings(llm_base_url, llm_model, llm_api_key_env)
    if llm:
        if "llm" not in {f.name for f in fields(RunConfig)}:
            raise ConfigError("this version has no LLM settings in its run config")
        data["llm"] = llm
    return RunConfig.from_dict(data)


def llm_settings(base_url: str | None, model: str | None,
                 api_key_env: str | None = "") -> dict[str, str]:
    """The form's LLM fields that are filled in, as ``llm`` settings. A ConfigError names a
    bad one: a base URL that is not an http(s) address, a key field holding something other
    than a variable's name (a key pasted there is neither kept nor shown)."""
    llm = {k: v.strip() for k, v in (("base_url", base_url or ""), ("model", model or ""),
                                     ("api_key_env", api_key_env or "")) if v.strip()}
    url = llm.get("base_url")
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise ConfigError(f"LLM base URL must be an http:// or https:// address such as"
                          f" http://127.0.0.1:8000/v1, got {redact(url.rsplit('@', 1)[-1])!r}")
    name = llm.get("api_key_env")
    if name and (not ENV_NAME.fullmatch(name) or redact(name) != name):
        raise ConfigError("the API key field takes the name of an environment variable, such"
                          f" as {LLMConfig().api_key_env}, not the key itself (what was typed"
                          " is not shown)")
    return llm


def llm_from_form(base_url: str | None, model: str | None,
                  api_key_env: str | None = "") -> LLMConfig:
    """The ``llm`` section the form's LLM fields make (defaults for those left empty)."""
    return build_options(LLMConfig, llm_settings(base_url, model, api_key_env), "llm")


def _json_object(text: str, what: str) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{what} must be a JSON object such as {{\"layers\": 1}}: {e.msg}") from e
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a JSON object such as {{\"layers\": 1}}")
    return value


def _whole(value: float | None, what: str, minimum: int = 1) -> int:
    try:  # NaN and infinities are numbers a form (or its API) can send, and no whole number
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise ConfigError(f"{what} must be a whole number >= {minimum}, got {value}")
    return int(number)


def form_menus(deps: Deps) -> tuple[Any, ...]:
    """The form's menus filled from the registries (loading them imports torch: seconds, so
    this runs after the page is up rather than while the app is built)."""
    ids, defaults = registered(), form_defaults()
    return tuple(gr.Dropdown(choices=ids[k], value=defaults[k] if defaults[k] in ids[k] else None)
                 for k in MENUS)


def registered() -> dict[str, list[str]]:
    """The ids the form offers: tasks, environment levels, policies, engines and students."""
    import agents.engine as engine
    import agents.policy as policy
    import envs.tasks.task as task
    import students

    # ids() fills each registry on first use: the built-ins, then the installed plug-ins
    return {"task": task.TASKS.ids(), "level": [str(level) for level in Level],
            "policy": policy.POLICIES.ids(), "engine": engine.ENGINES.ids(),
            "student": students.STUDENTS.ids()}
