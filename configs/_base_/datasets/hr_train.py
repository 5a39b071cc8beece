# HR training data: DIS5K-TR + ThinObject-5K with offline coarse masks
# (scripts/gen_coarse_masks_hr.py writes data/collection_hr.json); plain or expanded
# coarse mask with p=0.5; a whole-object crop or a 256 px full-resolution patch.
data_root = 'data/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='ChooseCoarseVariant'),
    dict(type='LoadMask', key='coarse_mask'),
    dict(type='RandomPatchCrop', size=256, patch_prob=0.5, object_crop=dict(pad=40)),
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
        type='HRCollectionDataset',
        data_root=data_root,
        ann_file='collection_hr.json',  # relative to data_root
        pipeline=train_pipeline))
