package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ai-bluegreen/ai-bluegreen/infra"
)

// stackVariant writes base (a Pulumi stack file) into dir under the same name with the given
// deployment settings (deployment.trafficShift, …) changed, and returns its path: the same stack,
// released another way.
func stackVariant(base, dir string, deployment map[string]any) (string, error) {
	data, err := os.ReadFile(base)
	if err != nil {
		return "", fmt.Errorf("read stack %s: %w", base, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("parse stack %s: %w", base, err)
	}
	cfg, _ := doc["config"].(map[string]any)
	if cfg == nil {
		return "", fmt.Errorf("stack %s has no config", base)
	}
	key := infra.Project + ":deployment"
	dep, _ := cfg[key].(map[string]any)
	if dep == nil {
		dep = map[string]any{}
	}
	for k, v := range deployment {
		dep[k] = v
	}
	cfg[key] = dep
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, filepath.Base(base))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return "", fmt.Errorf("write stack variant %s: %w", path, err)
	}
	return path, nil
}

// stackConfig reads a stack file's configuration as the program sees it (defaults applied).
func stackConfig(path string) (*infra.Config, error) {
	values, err := infra.ReadStackConfig(path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), filepath.Ext(path))
	return infra.ParseConfig(name, func(k string) (string, bool) { v, ok := values[k]; return v, ok })
}
