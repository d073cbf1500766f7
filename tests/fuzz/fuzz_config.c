/* Fuzz target for core/config: arbitrary bytes as a configuration file. Any outcome but a crash or a
 * leak is fine; a failure must come with a cause, a success with a complete configuration. */
#include <stdint.h>
#include <stdlib.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;
	struct sl_config *cfg = sl_config_parse((const char *)data, size, "fuzz.conf", &cause);
	if (cfg == NULL && cause == NULL)
		abort();
	if (cfg != NULL && (cause != NULL || cfg->state_dir == NULL || cfg->gnupg_home == NULL))
		abort();
	for (size_t i = 0; cfg != NULL && i < cfg->nsources; i++)
		if (cfg->sources[i].format == NULL || sl_config_source(cfg, cfg->sources[i].name) == NULL)
			abort();
	sl_config_free(cfg);
	free(cause);
	return 0;
}
