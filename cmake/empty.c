/* An empty translation unit, so a stage library exists before its first module. */
typedef int sl_empty_unit;
