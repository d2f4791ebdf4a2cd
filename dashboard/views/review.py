"""Review: the unpriced-model queue, a rate-card form prefilled from the suggestion, preview, and Apply."""

from datetime import date

import streamlit as st

from dashboard import money, review, ui

FLASH = "_tl_review_flash"
PREVIEW = "_tl_review_preview"


def show_audit() -> None:
    """The repricing audit log: every applied card, with rows and totals before and after."""
    with ui.guard():
        audit = review.audit_frame(ui.fetch_repricings())
    if audit.is_empty():
        return
    st.subheader("Repricing audit")
    st.dataframe(
        money.for_table(audit),
        hide_index=True,
        placeholder="—",
        column_config={
            "repriced_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
            "model": "Model",
            "card_id": "Card",
            "rows": "Rows",
            "old_cost_usd": st.column_config.TextColumn("Old total"),
            "new_cost_usd": st.column_config.TextColumn("New total"),
            "delta_usd": st.column_config.TextColumn("Difference"),
            "note": "Note",
        },
    )


s = ui.settings()
st.title("Review unpriced models")
st.caption(
    "Calls to a model with no rate card carry an estimate: at its public price when the shipped genai-prices "
    "snapshot knows the model, else at the default model's rates (column *Estimated from*). "
    "Give the model a card and its history is repriced from the card's effective date."
)
if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")

with ui.guard():
    raw = ui.fetch_review_raw()
queue = review.queue_frame(raw)
if queue.is_empty():
    st.success("No unpriced models: every call is priced.")
    show_audit()
    st.stop()

st.warning(review.banner_text(queue) or "", icon=":material/warning:")
st.dataframe(
    money.for_table(queue),  # text: a number format would show a tiny estimate as $0
    hide_index=True,
    placeholder="—",
    column_config={
        "model": "Model",
        "provider": "Provider",
        "calls": "Calls",
        "input_tokens": "Input tokens",
        "output_tokens": "Output tokens",
        "estimated_cost_usd": st.column_config.TextColumn("Estimated USD"),
        "estimate_source": "Estimated from",
        "first_seen": st.column_config.DatetimeColumn("First seen", format="YYYY-MM-DD HH:mm"),
        "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm"),
        "suggested": "Suggested card (genai-prices)",
    },
)

if not s.admin_token:
    st.info(
        "Pricing a model needs the collector's admin token, and TOKENLEDGER_ADMIN_TOKEN is not set for the "
        "dashboard. A collector that runs with tokens will refuse the card below; an open collector (no tokens, "
        "local use) accepts it.",
        icon=":material/lock:",
    )

st.subheader("Add a rate card")
models = queue.get_column("model").to_list()
model = st.selectbox("Model", models, key="review_model")
entry = next(m for m in raw if m.get("model") == model)
defaults = review.form_defaults(entry)
st.caption(
    review.suggestion_caption(entry) or "No suggestion is known for this model: enter the provider's published rates."
)
st.caption(review.scope_text(model))

# No st.form: every edit reruns the page, so Apply can follow the form (enabled only for the values previewed).
with st.container(border=True):
    cols = st.columns(2)
    fields = {
        name: cols[i % 2].text_input(review.RATE_LABELS[name], value=defaults[name], key=f"card_{model}_{name}")
        for i, name in enumerate(review.RATE_FIELDS)
    }
    effective = st.date_input(
        "Effective from (UTC)",
        value=date.fromisoformat(defaults["effective_from"]),
        key=f"card_{model}_effective_from",
        format="YYYY-MM-DD",
        help="Rows of this model from this date on are repriced. Defaults to the model's first call.",
    )
    fields["effective_from"] = effective.isoformat() if effective else ""
    with st.expander("Long-context tier (optional)", expanded=bool(defaults[review.TIER_THRESHOLD])):
        st.caption("Other rates for calls above a number of input tokens, as some providers charge.")
        fields[review.TIER_THRESHOLD] = st.text_input(
            review.TIER_LABELS[review.TIER_THRESHOLD],
            value=defaults[review.TIER_THRESHOLD],
            key=f"card_{model}_{review.TIER_THRESHOLD}",
        )
        tier_cols = st.columns(2)
        for i, name in enumerate(review.TIER_FIELDS):
            fields[name] = tier_cols[i % 2].text_input(
                review.TIER_LABELS[name], value=defaults[name], key=f"card_{model}_{name}"
            )
        name = f"long_context_{review.CACHE_1H}"
        fields[name] = st.text_input(review.OPTIONAL_LABELS[name], value=defaults[name], key=f"card_{model}_{name}")
    optional = (review.CACHE_1H, review.WEB_SEARCH, review.SERVICE_TIERS)
    with st.expander("1-hour cache writes, web search, service tiers (optional)",
                     expanded=any(defaults[name] for name in optional)):  # fmt: skip
        for name in optional:
            fields[name] = st.text_input(review.OPTIONAL_LABELS[name], value=defaults[name], key=f"card_{model}_{name}")
    fields["note"] = st.text_input("Note", value=defaults["note"], key=f"card_{model}_note")
    try:
        payload, invalid = review.card_payload(model, fields, provider=entry.get("provider")), None
    except ValueError as exc:
        payload, invalid = None, str(exc)
    stored = st.session_state.get(PREVIEW)
    previewed = stored is not None and payload is not None and review.same_card(stored[0], payload)
    b1, b2 = st.columns([1, 1])
    do_preview = b1.button("Preview repricing", type="primary", icon=":material/preview:", key="review_preview")
    do_apply = b2.button(
        "Apply card",
        icon=":material/done_all:",
        key="review_apply",
        disabled=not previewed,
        help=None if previewed else "Preview these values first: Apply stores the card you have previewed.",
    )

if do_apply and not previewed:  # a click sent with an edit that changed the values since the preview
    st.warning("The form changed since the preview: preview these values, then apply.")
    do_apply = False
if do_preview or do_apply:
    if payload is None:
        st.error(invalid)
        st.stop()
    with ui.guard():
        client = ui.admin_client()
        try:
            result = client.apply_card(payload) if do_apply else client.preview_card(payload)
        finally:
            client.close()
    if do_preview:
        st.session_state[PREVIEW] = (payload, result)
        st.rerun()  # so Apply is drawn enabled for the values just previewed
    else:
        st.session_state.pop(PREVIEW, None)
        st.session_state[FLASH] = review.applied_text(model, payload["effective_from"], result)
        ui.refresh()
        st.rerun()

if previewed:
    p = review.preview_frame(stored[1]).row(0, named=True)
    st.subheader("Repricing preview")
    st.table(
        {
            "Rows repriced": [f"{p['rows']:,}"],
            "Now (estimated)": [money.format_usd(p["old_cost_usd"])],
            "With this card (priced)": [money.format_usd(p["new_cost_usd"])],
            "Difference": [money.format_usd(p["delta_usd"])],
        },
        hide_index=True,
    )
    st.caption("Nothing has changed yet: Apply stores the card and reprices these rows.")

show_audit()
