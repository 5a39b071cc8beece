# LR training data: LVIS v1 train (COCO train2017 images), one random instance per
# image with area > 512, online coarse masks, double random crop, 256 px, flip.
data_root = 'data/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='SampleInstance'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250),
    dict(type='RandomObjectCrop', pad=40, whole_prob=0.5),
    dict(type='ResizeTo', size=256),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='LVISRefineDataset',
        ann_file=data_root + 'lvis/annotations/lvis_v1_train.json',
        data_prefix=dict(img=data_root + 'coco/'),
        min_area=512,
        pipeline=train_pipeline))
