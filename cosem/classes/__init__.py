"""COSEM interface classes: each module builds ``CosemObject`` values for one class family."""
