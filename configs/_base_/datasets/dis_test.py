# DIS5K: data/dis/<subset>/{im,gt}, coarse masks data/dis/coarse/isnet/<subset>/NAME.png.
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
    dataset=dict(type='DISDataset', data_root='data/dis',
                 subsets=('DIS-VD', 'DIS-TE1', 'DIS-TE2', 'DIS-TE3', 'DIS-TE4'),
                 coarse_root='data/dis/coarse/isnet', pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='DISMetric', prefix='dis')
