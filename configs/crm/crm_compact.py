# The compact CRM: its config lives beside its weights in the package
# (segrefiner/model_zoo/crm_compact.py, which says what it is); this file adds the runtime
# settings the tools need.
#
#   segrefiner refine IMAGE MASK --config configs/crm/crm_compact.py \
#       --checkpoint segrefiner/model_zoo/crm_compact.pth
_base_ = ['../../segrefiner/model_zoo/crm_compact.py', '../_base_/default_runtime.py']
