"""Error codes of the CMDB model layer (`UserError.code` in GraphQL; the `cc` routes map each one to
bk-cmdb's number in compat_rest/bk/cc/model_codes.py, taken from src/common/errInfo.go).

Example:
    raise ValidationFailed("bk_obj_icon is required", field="bk_obj_icon", code=REQUIRED)
"""

from __future__ import annotations

# Identifiers and values
INVALID_ID = "INVALID_ID"  # 1199011 CCErrCommParamsIsInvalid: an id that breaks ^[a-zA-Z]\w*$
TOO_LONG = "TOO_LONG"  # 1199073 CCErrCommValExceedMaxFailed: an id or name over 128 characters
REQUIRED = "REQUIRED"  # 1199010 CCErrCommParamsNeedSet: a required attribute or parameter is empty
OVER_LIMIT = "OVER_LIMIT"  # 1199015 CCErrCommOverLimit: a text value over its length limit
PATTERN_MISMATCH = "PATTERN_MISMATCH"  # 1199016 CCErrFieldRegValidFailed
NEED_INT = "NEED_INT"  # 1199009 CCErrCommParamsNeedInt
NOT_MULTIPLE = "NOT_MULTIPLE"  # 1199012 CCErrCommFieldTypeNotSupportMultiple
NEED_TIMEZONE = "NEED_TIMEZONE"  # 1199024 CCErrCommParamsNeedTimeZone
NEED_BOOL = "NEED_BOOL"  # 1199025 CCErrCommParamsNeedBool
NOT_EDITABLE = "NOT_EDITABLE"  # 1199006: a value of a non-editable attribute changed on update

# Classifications and models
CLASSIFICATION_MISSING = "CLASSIFICATION_MISSING"  # 1101024 on create_object
CLASSIFICATION_NOT_FOUND = "CLASSIFICATION_NOT_FOUND"  # 1101113 on update_object and elsewhere
CLASSIFICATION_HAS_MODELS = "CLASSIFICATION_HAS_MODELS"  # 1101029
MODEL_NOT_FOUND = "MODEL_NOT_FOUND"  # 1199011: "parameter invalid or nonexistent"
PRESET_MODEL = "PRESET_MODEL"  # 1101135 CCErrTopoForbiddenToDeleteModelFailed
MODEL_HAS_INSTANCES = "MODEL_HAS_INSTANCES"  # 1101037
MODEL_HAS_ASSOCIATIONS = "MODEL_HAS_ASSOCIATIONS"  # 1101053
MODEL_PAUSED = "MODEL_PAUSED"  # 1101084 CCErrorTopoModelStopped
BUILTIN_OBJECT = "BUILTIN_OBJECT"  # 1199054: preset things are immutable

# Attributes and unique rules
ATTRIBUTE_NAME_DUPLICATE = "ATTRIBUTE_NAME_DUPLICATE"  # 1101107
ATTRIBUTE_NOT_FOUND = "ATTRIBUTE_NOT_FOUND"  # 1101164 CCErrTopoObjectPropertyNotFound
ATTRIBUTE_IN_UNIQUE_RULE = "ATTRIBUTE_IN_UNIQUE_RULE"  # 1101165
UNIQUE_KEY_KIND = "UNIQUE_KEY_KIND"  # 1101166: a type that cannot be part of a unique rule
PRESET_UNIQUE_RULE = "PRESET_UNIQUE_RULE"  # 1101167
LAST_UNIQUE_RULE = "LAST_UNIQUE_RULE"  # 1101069
MAINLINE_UNIQUE_RULE = "MAINLINE_UNIQUE_RULE"  # 1101085
UNIQUE_RULE_EXISTS = "UNIQUE_RULE_EXISTS"  # 1113050
UNIQUE_RECHECK_FAILED = "UNIQUE_RECHECK_FAILED"  # 1113039: existing instances already collide
UNIQUE_VIOLATION = "UNIQUE_VIOLATION"  # 1199014: an instance write that repeats a unique key

# Associations
ASSOCIATION_KIND_NOT_FOUND = "ASSOCIATION_KIND_NOT_FOUND"  # 1101072
ASSOCIATION_KIND_IN_USE = "ASSOCIATION_KIND_IN_USE"  # 1101070
PRESET_ASSOCIATION_KIND = "PRESET_ASSOCIATION_KIND"  # 1101071
MAINLINE_ASSOCIATION = "MAINLINE_ASSOCIATION"  # 1101082: bk_mainline is for the topology only
ASSOCIATION_NOT_FOUND = "ASSOCIATION_NOT_FOUND"  # 1101056
PRESET_ASSOCIATION = "PRESET_ASSOCIATION"  # 1101055: preset model associations are immutable
ASSOCIATION_INSTANTIATED = "ASSOCIATION_INSTANTIATED"  # 1101043: model association still has links
SOURCE_INSTANCE_NOT_FOUND = "SOURCE_INSTANCE_NOT_FOUND"  # 1101074 CCErrorInstToAsstIsNotExist
TARGET_INSTANCE_NOT_FOUND = "TARGET_INSTANCE_NOT_FOUND"  # 1101073 CCErrorAsstInstIsNotExist
MAPPING_ONE_TO_ONE = "MAPPING_ONE_TO_ONE"  # 1101052
MAPPING_ONE_TO_MANY = "MAPPING_ONE_TO_MANY"  # 1101061
INSTANCE_HAS_ASSOCIATIONS = "INSTANCE_HAS_ASSOCIATIONS"  # 1101075 CCErrorInstHasAsst
CLOUD_AREA_HAS_HOSTS = "CLOUD_AREA_HAS_HOSTS"  # 1101030 CCErrTopoHasHost
