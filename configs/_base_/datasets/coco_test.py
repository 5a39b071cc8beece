# Instance refinement test data: COCO val2017 images + a COCO results JSON of any
# detector (official: all_json/coarse_coco/maskrcnn_3x_r50.json), scored against the
# cocofied LVIS v1 val (scripts/lvis2coco.py).
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='DecodeCoarseInstances'),
    dict(type='PackRefineInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='COCOResultsDataset',
        results_file='all_json/coarse_coco/maskrcnn_3x_r50.json',
        ann_file='data/lvis/annotations/lvis_v1_val_cocofied.json',
        data_prefix=dict(img='data/coco/'),
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(
    type='InstanceAPMetric',
    ann_file='data/lvis/annotations/lvis_v1_val_cocofied.json',
    dataset='lvis',
    iou_types=('segm', 'boundary'))
