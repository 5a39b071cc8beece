# CRM (Shen et al., CVPR 2022) as released: the 4-channel dilated ResNet-50 backbone, the
# three-branch head and the implicit MLP (the released checkpoint's 367 keys); refinement
# at scales 0.125, 0.25, 0.5, 1 of the 32-px reflect-padded image.
# max_feature_mb: feature maps over 128 MB (the released model's from about 0.5 MP on)
# are made and queried in strips of rows, which bounds the memory at 4K and changes
# values only by float rounding; None gives the released whole-map computation.
model = dict(
    type='CRM',
    base_width=64,
    blocks=(3, 4, 6, 3),
    with_layer4=True,
    data_preprocessor=dict(type='RefinerDataPreprocessor', mean=(0.485, 0.456, 0.406),
                           std=(0.229, 0.224, 0.225), scale=255.0),
    test_cfg=dict(mode='semantic', scales=(0.125, 0.25, 0.5, 1.0), pad=32,
                  query_chunk=65536, max_feature_mb=128))
