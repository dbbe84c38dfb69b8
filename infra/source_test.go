package infra

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// overwrittenErrors returns the places in a file where err is assigned while the error assigned to it
// before, in the same block, was never read: a registration failure that nobody sees.
func overwrittenErrors(fset *token.FileSet, file *ast.File) []string {
	var found []string
	assignsErr := func(s ast.Stmt) bool {
		a, ok := s.(*ast.AssignStmt)
		if !ok {
			return false
		}
		for _, lhs := range a.Lhs {
			if id, ok := lhs.(*ast.Ident); ok && id.Name == "err" {
				return true
			}
		}
		return false
	}
	readsErr := func(s ast.Stmt) bool {
		reads := false
		ast.Inspect(s, func(n ast.Node) bool {
			if a, ok := n.(*ast.AssignStmt); ok {
				for _, rhs := range a.Rhs {
					ast.Inspect(rhs, func(m ast.Node) bool {
						if id, ok := m.(*ast.Ident); ok && id.Name == "err" {
							reads = true
						}
						return true
					})
				}
				return false
			}
			if id, ok := n.(*ast.Ident); ok && id.Name == "err" {
				reads = true
			}
			return true
		})
		return reads
	}
	ast.Inspect(file, func(n ast.Node) bool {
		block, ok := n.(*ast.BlockStmt)
		if !ok {
			return true
		}
		var pending ast.Stmt
		for _, s := range block.List {
			if pending != nil && readsErr(s) {
				pending = nil
			}
			if assignsErr(s) {
				if pending != nil {
					found = append(found, fset.Position(pending.Pos()).String())
				}
				pending = s
			}
		}
		return true
	})
	return found
}

func TestNoErrorIsOverwrittenBeforeItIsChecked(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		found = append(found, overwrittenErrors(fset, file)...)
	}
	require.Empty(t, found, "an error assigned here is overwritten before anyone checks it")
}
