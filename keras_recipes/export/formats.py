"""The export formats: one table for `kr.export`, tasks, callbacks, CLI, recipes.

- `"keras"`: a `.keras` file (`model.save`);
- `"saved_model"`: a SavedModel folder whose `serve` signature takes raw
  inputs (`kr.export.export_saved_model`);
- `"onnx"`: a verified `.onnx` file (`kr.export.onnx.export_onnx`), plus a
  JSON sidecar where the model has preprocessing ONNX cannot hold.

Example:

>>> FORMATS
('keras', 'saved_model', 'onnx')
>>> "out/model" + SUFFIXES["saved_model"]
'out/model_saved_model'
"""

FORMATS = ("keras", "saved_model", "onnx")

# What each format adds to an output path without extension.
SUFFIXES = {"keras": ".keras", "saved_model": "_saved_model", "onnx": ".onnx"}
