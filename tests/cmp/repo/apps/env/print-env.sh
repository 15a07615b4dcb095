# Prints the plugin's environment (minus PATH and the shell's own PWD/OLDPWD/SHLVL/_) as a
# ConfigMap, plus facts about the working directory.
echo 'apiVersion: v1'
echo 'kind: ConfigMap'
echo 'metadata:'
echo '  name: plugin-env'
echo 'data:'
echo '  env: |'
env | grep -Ev '^(PATH|PWD|OLDPWD|SHLVL|_)=' | LC_ALL=C sort | sed 's/^/    /'
echo "  tool-mode: \"$(stat -c %a tool.sh)\""
echo "  symlink: \"$(head -n 1 sub/link-to-tool)\""
echo "  init: \"$(cat init.marker)\""
