# A syntax error stops the whole script before anything runs.
'not printed'
if ($x -eq 1 {
  'body'
}
