# The compact CRM (crm_compact.pth beside this file), self-contained so that it works from
# an installed package: CRM's architecture (4-channel dilated ResNet, three-branch head,
# implicit MLP queried at continuous coordinates) at base width 16 with 2 bottlenecks per
# stage and no fourth stage, trained from scratch at 160 px on the real training sets with
# configs/crm/crm_compact_train.py (docs/model_zoo.md). Refinement as released: scales
# 0.125, 0.25, 0.5, 1 of the 32-px reflect-padded image.
model = dict(
    type='CRM',
    base_width=16,
    blocks=(2, 2, 2, 0),
    with_layer4=False,
    mlp_hidden=32,
    mlp_depth=4,
    data_preprocessor=dict(type='RefinerDataPreprocessor', mean=(0.485, 0.456, 0.406),
                           std=(0.229, 0.224, 0.225), scale=255.0),
    test_cfg=dict(mode='semantic', scales=(0.125, 0.25, 0.5, 1.0), pad=32,
                  query_chunk=65536, max_feature_mb=128))
