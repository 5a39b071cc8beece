# Tiny model, instance refinement of a COCO results JSON on the LVIS-format fixture.
_base_ = ['./segrefiner_tiny.py', '../_base_/datasets/coco_test.py']
test_dataloader = dict(
    num_workers=0,
    dataset=dict(results_file='tests/fixtures/lvis/dets_mini3.json',
                 ann_file='tests/fixtures/lvis/lvis_mini3.json',
                 data_prefix=dict(img='tests/fixtures/lvis/')))
test_evaluator = dict(ann_file='tests/fixtures/lvis/lvis_mini3.json')
test_cfg = dict(type='TestLoop')
