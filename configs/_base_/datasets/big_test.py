# BIG: NAME_im.jpg, NAME_gt.png and the coarse NAME_seg.png side by side, one folder per
# coarse model (official default data/big/coarse/deeplab).
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='coarse_mask'),
    dict(type='LoadMask', key='gt_mask', optional=True),
    dict(type='PackRefineInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='BIGDataset', data_root='data/big/coarse/deeplab',
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='IoUMBAMetric', prefix='big')
