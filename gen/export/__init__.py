"""Exporting a trained run to files that sample without gen: an ONNX graph (`gen.export.onnx`)
and a self-contained web page (`gen.export.html`). `gen.export.meta` is what both carry along."""
