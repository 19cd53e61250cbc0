"""The TF Addons mapping table, one module per `tfa` submodule (see `_mapping`)."""
