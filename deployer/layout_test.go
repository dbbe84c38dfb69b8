package deployer

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The deployer's layout limits (issue 8): a reader walks files of at most 450
// lines and functions of at most 60, and finds each file's tests beside it.
const (
	maxFileLines = 450
	maxFuncLines = 60
)

func TestTheDeployerStaysEasyToWalk(t *testing.T) {
	t.Parallel()
	fset := gotoken.NewFileSet()
	err := filepath.WalkDir(".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		lines := fset.File(f.Pos()).LineCount()
		assert.LessOrEqual(t, lines, maxFileLines, "%s has %d lines: split it by what it holds", path, lines)
		holdsLogic := false
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			// A command's thin main only wires signals to Main: no logic of its own.
			holdsLogic = holdsLogic || f.Name.Name != "main" || fd.Name.Name != "main"
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			assert.LessOrEqual(t, n, maxFuncLines, "%s: %s has %d lines: name its steps", path, fd.Name.Name, n)
		}
		if holdsLogic {
			_, err := os.Stat(strings.TrimSuffix(path, ".go") + "_test.go")
			assert.NoError(t, err, "%s holds logic but has no test file of its name", path)
		}
		return nil
	})
	require.NoError(t, err)
}
