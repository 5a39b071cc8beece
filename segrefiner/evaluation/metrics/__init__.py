"""mmengine metrics used by tools/test.py."""
from segrefiner.evaluation.metrics.instance_metric import InstanceAPMetric
from segrefiner.evaluation.metrics.mask_metrics import DISMetric, IoUMBAMetric

__all__ = ["DISMetric", "InstanceAPMetric", "IoUMBAMetric"]
