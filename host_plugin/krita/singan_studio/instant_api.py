"""Scripting API of the instant actions (no model, no training), beside :mod:`.api`::

    from singan_studio import instant_api
    instant_api.fill_selection()                        # the selection filled from its surroundings
    instant_api.instant_variations(n=4, size="document")
    instant_api.extend_canvas(right=256)
    instant_api.with_choices(FillChoices(seed=3, source="Texture"))  # what the dialogs run

Same conventions as :mod:`.api`: the active document unless ``document=``; blocking unless
``background=True`` (then a :class:`~host_plugin.common.runner.Task`); results are new layers added in
one undo step.
"""

from __future__ import annotations

from host_plugin.common import instant_flows
from host_plugin.common.document import Document
from host_plugin.common.instant_choices import ExtendChoices, FillChoices, VariationsChoices
from host_plugin.common.runner import Outcome, Task

from . import api


def _execute(plan_for, document: Document | None, background: bool) -> Outcome | Task:
    session = api.session()
    doc = session.document(document)
    return session.execute(plan_for(doc), doc, background)


def instant_variations(
    n: int = 1,
    seed: int = 0,
    size: instant_flows.Size = "source",
    layer: str | None = None,
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """``n`` variations of the layer (default: active) over the selection, or of the whole layer, in
    seconds: ``size`` "source" (layers over it), "document" (covering the canvas) or (width, height)."""
    return _execute(
        lambda doc: instant_flows.plan_instant_variations(doc, n, seed, size, layer), document, background
    )


def fill_selection(
    seed: int = 0, source_layer: str | None = None, document: Document | None = None, background: bool = False
) -> Outcome | Task:
    """Fill the selection from the visible image around it (or from ``source_layer``): a new layer
    ``Filled``, transparent outside the selection."""
    return _execute(lambda doc: instant_flows.plan_fill(doc, seed, source_layer), document, background)


def extend_canvas(
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    seed: int = 0,
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """Grow the canvas by the borders (px) and outpaint them from the visible image: a new layer
    ``Extended`` over the whole new canvas."""
    return _execute(
        lambda doc: instant_flows.plan_extend(doc, left, top, right, bottom, seed), document, background
    )


def with_choices(
    choices: VariationsChoices | FillChoices | ExtendChoices,
    document: Document | None = None,
    background: bool = False,
) -> Outcome | Task:
    """Run the values of one of the actions' dialogs (:mod:`host_plugin.common.instant_choices`)."""
    return _execute(choices.plan, document, background)
