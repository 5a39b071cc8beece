"""Evaluation: reference-exact metric functions (functional/), AP evaluators
(instance_eval), folder scoring (folders) and mmengine metrics (metrics/)."""
