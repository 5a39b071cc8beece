# The tiny CRM refining the BIG-format fixture (tests/fixtures/big).
_base_ = ['./crm_tiny.py', '../_base_/datasets/big_test.py']
test_dataloader = dict(num_workers=0, dataset=dict(data_root='tests/fixtures/big'))
test_cfg = dict(type='TestLoop')
