package tests

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 8's limits keep the code walkable: a reader finds a command in a file of its own, sees a step
// on one screen, and finds a file's tests beside it.
const (
	maxDeployerFileLines = 450
	maxFuncLines         = 60
)

// funcLimitRoots are the trees whose non-test functions must fit maxFuncLines.
var funcLimitRoots = []string{"deployer", "tests", "infra"}

// layoutViolation is one place that breaks a limit: rule says which ("file-lines", "func-lines",
// "test-file"), path is slash-separated from the repository root, name is the function for
// "func-lines".
type layoutViolation struct {
	rule, path, name string
	lines            int
}

func (v layoutViolation) String() string {
	switch v.rule {
	case "file-lines":
		return fmt.Sprintf("%s has %d lines: a non-test Go file under deployer/ may have at most %d; split it by what changes together",
			v.path, v.lines, maxDeployerFileLines)
	case "func-lines":
		return fmt.Sprintf("%s: %s is %d lines: a function in a non-test Go file under deployer/, tests/ or infra/ may have at most %d; name its steps",
			v.path, v.name, v.lines, maxFuncLines)
	}
	return fmt.Sprintf("%s holds logic but has no %s beside it: every non-test Go file under deployer/ with a function has a test file of its name",
		v.path, strings.TrimSuffix(v.path, ".go")+"_test.go")
}

// layoutViolations checks the Go files below root (a repository checkout) against issue 8's limits.
func layoutViolations(root string) ([]layoutViolation, error) {
	var found []layoutViolation
	fset := token.NewFileSet()
	for _, dir := range funcLimitRoots {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			found = append(found, fileViolations(fset, file, filepath.ToSlash(rel), path)...)
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	return found, nil
}

// fileViolations checks one parsed non-test file; rel is its slash path from the repository root.
func fileViolations(fset *token.FileSet, file *ast.File, rel, path string) []layoutViolation {
	var found []layoutViolation
	inDeployer := strings.HasPrefix(rel, "deployer/")
	if lines := fset.File(file.Pos()).LineCount(); inDeployer && lines > maxDeployerFileLines {
		found = append(found, layoutViolation{rule: "file-lines", path: rel, lines: lines})
	}
	hasFunc := false
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		// A command's thin main only wires signals to the library's Main: no logic of its own.
		hasFunc = hasFunc || file.Name.Name != "main" || fn.Name.Name != "main"
		if lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; lines > maxFuncLines {
			found = append(found, layoutViolation{rule: "func-lines", path: rel, name: funcName(fn), lines: lines})
		}
	}
	if inDeployer && hasFunc {
		if _, err := os.Stat(strings.TrimSuffix(path, ".go") + "_test.go"); err != nil {
			found = append(found, layoutViolation{rule: "test-file", path: rel})
		}
	}
	return found
}

// funcName is fn's name as a reader searches for it: Name, or Type.Name for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if generic, ok := t.(*ast.IndexExpr); ok {
		t = generic.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

func TestRepositoryKeepsIssue8sLayoutLimits(t *testing.T) {
	t.Parallel()
	found, err := layoutViolations("..")
	require.NoError(t, err)
	if len(found) == 0 {
		return
	}
	lines := make([]string, len(found))
	for i, v := range found {
		lines[i] = v.String()
	}
	report := strings.Join(lines, "\n")
	t.Errorf("%d places break issue 8's layout limits:\n%s", len(found), report)
}

// goFile is a Go source of n lines whose one function, declared by signature (after package p and
// type E), spans funcLines lines.
func goFile(n int, signature string, funcLines int) string {
	var b strings.Builder
	b.WriteString("package p\n\ntype E struct{}\n\n" + signature + " {\n")
	for i := 0; i < funcLines-2; i++ {
		b.WriteString("\t_ = 0\n")
	}
	b.WriteString("}\n")
	for written := 5 + funcLines; written <= n; written++ {
		b.WriteString("\n")
	}
	return b.String()
}

func TestLayoutCheckReportsEveryLimitItBreaks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"deployer/long.go":              goFile(451, "func f()", 10),
		"deployer/long_test.go":         "package p\n",
		"deployer/limit.go":             goFile(450, "func f()", 60),
		"deployer/limit_test.go":        "package p\n",
		"deployer/untested.go":          goFile(20, "func f()", 5),
		"deployer/types.go":             "package p\n\ntype T struct{}\n",
		"deployer/cmd/tool/main.go":     goFile(10, "func main()", 3),
		"deployer/cmd/thin/main.go":     "package main\n\nfunc main() {\n}\n",
		"tests/internal/emu/step.go":    goFile(0, "func (e *E) step()", 61),
		"tests/internal/emu/generic.go": goFile(0, "func (e *G[T]) step()", 60),
		"tests/long_test.go":            goFile(10, "func f()", 200),
		"infra/program.go":              goFile(500, "func f()", 61),
		"unrelated/huge.go":             goFile(900, "func f()", 300),
		"deployer/testdata/nothing.md":  "# not Go\n",
	}
	for name, text := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	found, err := layoutViolations(root)
	require.NoError(t, err)
	var got []string
	for _, v := range found {
		got = append(got, v.String())
	}
	assert.ElementsMatch(t, []string{
		"deployer/long.go has 451 lines: a non-test Go file under deployer/ may have at most 450; split it by what changes together",
		"deployer/untested.go holds logic but has no deployer/untested_test.go beside it: every non-test Go file under deployer/ with a function has a test file of its name",
		"deployer/cmd/tool/main.go holds logic but has no deployer/cmd/tool/main_test.go beside it: every non-test Go file under deployer/ with a function has a test file of its name",
		"tests/internal/emu/step.go: E.step is 61 lines: a function in a non-test Go file under deployer/, tests/ or infra/ may have at most 60; name its steps",
		"infra/program.go: f is 61 lines: a function in a non-test Go file under deployer/, tests/ or infra/ may have at most 60; name its steps",
	}, got)
}
