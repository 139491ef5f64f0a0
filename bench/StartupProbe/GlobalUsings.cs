// Shared by every file of the probe (one type per file).
global using System.Diagnostics;
global using System.Globalization;
global using System.Runtime.InteropServices;
global using System.Text;
global using Econtext;
global using Econtext.StartupProbe;
global using System.Text.RegularExpressions;
