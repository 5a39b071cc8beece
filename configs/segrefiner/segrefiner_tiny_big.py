# Tiny model, whole-image (global + local) refinement on the BIG-format fixture.
_base_ = ['./segrefiner_tiny.py', '../_base_/datasets/big_test.py']
model = dict(
    test_cfg=dict(_delete_=True, mode='semantic', model_size=64, fine_prob_thr=0.9,
                  iou_thr=0.3, batch_size=32))
test_dataloader = dict(num_workers=0, dataset=dict(data_root='tests/fixtures/big'))
test_cfg = dict(type='TestLoop')
