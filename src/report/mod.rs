//! Pure renderers: text (comfy-table), JSON, Markdown and HTML. They turn
//! results into strings; the one writer that touches files lives in `write`.
