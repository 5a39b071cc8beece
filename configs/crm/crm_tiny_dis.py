# The tiny CRM refining the DIS5K-format fixture (tests/fixtures/dis, DIS-VD).
_base_ = ['./crm_tiny.py', '../_base_/datasets/dis_test.py']
test_dataloader = dict(num_workers=0, dataset=dict(data_root='tests/fixtures/dis',
                                                   subsets=('DIS-VD', ),
                                                   coarse_root='tests/fixtures/dis/coarse/isnet'))
test_cfg = dict(type='TestLoop')
