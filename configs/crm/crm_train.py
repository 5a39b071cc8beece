# CRM's published training recipe (the released README command): 45,000 iterations of
# batch 12 (2 GPUs x 6, synchronised BN), Adam lr 2.25e-4, weight decay 1e-4, x0.1 at
# 22,500 and 37,500; 224 px random crops (zero-padded where smaller), flip, colour
# jitter (0.2, 0.05, 0.05), 10 % greyscale; online coarse masks from CascadePSP's
# perturbation (IoU ~ U(0.8, 1)); losses BCE 1, L1 0.5, L2 0.5, gradient 2. The released
# backbone started from ImageNet ResNet-50 weights (conv1's mask channel zero): give them
# with load_from (a state_dict whose keys are the model's, e.g. feats.*), strict=False.
#
# Data as CRM's download script lays it out under data/crm/: DUTS-TR, DUTS-TE, ecssd,
# MSRA_10K (NAME.jpg + NAME.png in one folder) and fss (<class>/N.jpg + N.png).
#
#   bash tools/dist_train.sh configs/crm/crm_train.py 2
_base_ = ['../_base_/models/crm_resnet50.py', '../_base_/default_runtime.py']

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='RandomCrop', size=224),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PhotometricJitter', brightness=0.2, contrast=0.05, saturation=0.05,
         gray_prob=0.1),
    dict(type='GenerateCoarseMask', iou_target=(0.8, 1.0), max_rounds=250,
         retrieval='list', run_start='closest'),
    dict(type='PackRefineInputs'),
]
saliency_sets = dict(type='FolderRefineDataset', img_dir='', mask_dir='',
                     img_suffixes=('.jpg',), pipeline=train_pipeline,
                     roots=['data/crm/DUTS-TR', 'data/crm/DUTS-TE', 'data/crm/ecssd',
                            'data/crm/MSRA_10K'])
fss = dict(type='FolderRefineDataset', img_dir='', mask_dir='', img_suffixes=('.jpg',),
           subfolders=True, roots=['data/crm/fss'], pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=6,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='ConcatDataset', datasets=[saliency_sets, fss]))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=2.25e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=45000,
         milestones=[22500, 37500], gamma=0.1),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=45000, val_interval=1000000)
sync_bn = 'torch'
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
